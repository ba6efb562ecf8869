# The seed's input_mode example: SKIP (no input matrix, wIn == lenH); Wb is still required.
# Changed from the seed only in its imports, its network creation and how it executes.
import numpy as np
from seedrun import run

from trtrnn.trt import create_network
from trtrnn_v2 import tensorrt as trt

nIn, cIn, hIn, wIn = 1, 3, 4, 5  # 7  # 输入 wIn 与 lenH 相等
lenH = 5
data = np.ones(cIn * hIn * wIn, dtype=np.float32).reshape(cIn, hIn, wIn)  # 输入数据
weightH = np.ones((lenH, lenH), dtype=np.float32)  # RNN 权重矩阵只剩 H->H 部分
biasX = np.zeros(lenH, dtype=np.float32)  # RNN 偏置仍然两个都要
biasH = np.zeros(lenH, dtype=np.float32)

np.set_printoptions(precision=8, linewidth=200, suppress=True)

builder, network = create_network()
inputT0 = network.add_input("inputT0", trt.DataType.FLOAT, (nIn, cIn, hIn, wIn))  # 单输入示例代码
rnnV2Layer = network.add_rnn_v2(inputT0, 1, lenH, hIn, trt.RNNOperation.RELU)  # 基于单输入示例代码
rnnV2Layer.input_mode = trt.RNNInputMode.SKIP  # 是否对输入张量线性变换，默认值 trt.RNNInputMode.LINEAR
rnnV2Layer.set_weights_for_gate(0, trt.RNNGateType.INPUT, False, weightH)
rnnV2Layer.set_bias_for_gate(0, trt.RNNGateType.INPUT, True, biasX)
rnnV2Layer.set_bias_for_gate(0, trt.RNNGateType.INPUT, False, biasH)
network.mark_output(rnnV2Layer.get_output(0))
network.mark_output(rnnV2Layer.get_output(1))
outputH0, outputH1 = run(builder, network, data)

print("inputH0 :", data.shape)
print(data)
print("outputH0:", outputH0.shape)
print(outputH0)
print("outputH1:", outputH1.shape)
print(outputH1)
