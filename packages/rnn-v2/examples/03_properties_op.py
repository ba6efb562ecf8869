# The seed's num_layers & hidden_size & max_seq_length & data_length & op example: created as LSTM,
# switched to RELU before any weight is set, then the read-only properties printed. The seed shows
# only the replaced part; the rest is its initial example. Changed from the seed only in its imports,
# its network creation and how it executes (seedrun.run instead of cudart).
import numpy as np
from seedrun import run

from trtrnn.trt import create_network
from trtrnn_v2 import tensorrt as trt

nIn, cIn, hIn, wIn = 1, 3, 4, 7  # 输入张量 NCHW
lenH = 5  # 隐藏层宽度
data = np.ones(cIn * hIn * wIn, dtype=np.float32).reshape(cIn, hIn, wIn)  # 输入数据
weightX = np.ones((lenH, wIn), dtype=np.float32)  # 权重矩阵 (X->H)
weightH = np.ones((lenH, lenH), dtype=np.float32)  # 权重矩阵 (H->H)
biasX = np.zeros(lenH, dtype=np.float32)  # 偏置 (X->H)
biasH = np.zeros(lenH, dtype=np.float32)  # 偏置 (H->H)

np.set_printoptions(precision=8, linewidth=200, suppress=True)

builder, network = create_network()
inputT0 = network.add_input("inputT0", trt.DataType.FLOAT, (nIn, cIn, hIn, wIn))  # 单输入示例代码
# ---------------------------------------------------------- --------------------# 替换部分
rnnV2Layer = network.add_rnn_v2(inputT0, 1, lenH, hIn, trt.RNNOperation.LSTM)  # 基于单输入示例代码
rnnV2Layer.op = trt.RNNOperation.RELU  # 重设 RNN 类型
rnnV2Layer.set_weights_for_gate(0, trt.RNNGateType.INPUT, True, weightX)
rnnV2Layer.set_weights_for_gate(0, trt.RNNGateType.INPUT, False, weightH)
rnnV2Layer.set_bias_for_gate(0, trt.RNNGateType.INPUT, True, biasX)
rnnV2Layer.set_bias_for_gate(0, trt.RNNGateType.INPUT, False, biasH)
print(
    "num_layers=%d\nhidden_size=%d\nmax_seq_length=%d\ndata_length=%d\n"  # noqa: UP031 (the seed's own)
    % (rnnV2Layer.num_layers, rnnV2Layer.hidden_size, rnnV2Layer.max_seq_length, rnnV2Layer.data_length)
)  # 仅供输出，不能更改
# ---------------------------------------------------------- --------------------# 替换部分
network.mark_output(rnnV2Layer.get_output(0))
network.mark_output(rnnV2Layer.get_output(1))
outputH0, outputH1 = run(builder, network, data)

print("inputH0 :", data.shape)
print(data)
print("outputH0:", outputH0.shape)
print(outputH0)
print("outputH1:", outputH1.shape)
print(outputH1)
