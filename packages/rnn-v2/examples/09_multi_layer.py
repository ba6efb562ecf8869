# The seed's multi-layer example (多层数的 RNN): 2 stacked ReLU layers; layer 1's input matrix is
# (lenH, lenH) because it consumes layer 0's output. The seed shows only the replaced part; the rest
# is its initial example. Changed from the seed only in its imports, its network creation and how it
# executes (seedrun.run instead of cudart).
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
rnnV2Layer = network.add_rnn_v2(inputT0, 2, lenH, hIn, trt.RNNOperation.RELU)  # 2 层 ReLU 型 RNN
rnnV2Layer.set_weights_for_gate(0, trt.RNNGateType.INPUT, True, weightX)
rnnV2Layer.set_weights_for_gate(0, trt.RNNGateType.INPUT, False, weightH)
rnnV2Layer.set_bias_for_gate(0, trt.RNNGateType.INPUT, True, biasX)
rnnV2Layer.set_bias_for_gate(0, trt.RNNGateType.INPUT, False, biasH)

rnnV2Layer.set_weights_for_gate(1, trt.RNNGateType.INPUT, True, weightH)  # 第二层的权重，注意尺寸与隐藏层相等
rnnV2Layer.set_weights_for_gate(1, trt.RNNGateType.INPUT, False, weightH)
rnnV2Layer.set_bias_for_gate(1, trt.RNNGateType.INPUT, True, biasH)
rnnV2Layer.set_bias_for_gate(1, trt.RNNGateType.INPUT, False, biasH)
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
