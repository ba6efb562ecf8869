# The seed's seq_lengths example: lengths 4, 3, 2 as a second network input. Changed from the seed
# only in its imports, its network creation and how it executes (seedrun.run instead of cudart).
import numpy as np
from seedrun import run

from trtrnn.trt import create_network
from trtrnn_v2 import tensorrt as trt

nIn, cIn, hIn, wIn = 1, 3, 4, 7
lenH = 5
data = np.ones(cIn * hIn * wIn, dtype=np.float32).reshape(cIn, hIn, wIn)
seqLen = np.array([4, 3, 2], dtype=np.int32).reshape(nIn, cIn)  # 每个输入的真实长度
weightX = np.ones((lenH, wIn), dtype=np.float32)
weightH = np.ones((lenH, lenH), dtype=np.float32)
biasX = np.zeros(lenH, dtype=np.float32)
biasH = np.zeros(lenH, dtype=np.float32)

np.set_printoptions(precision=8, linewidth=200, suppress=True)

builder, network = create_network()
inputT0 = network.add_input("inputT0", trt.DataType.FLOAT, (nIn, cIn, hIn, wIn))  # 两输入示例代码
inputT1 = network.add_input("inputT1", trt.DataType.INT32, (nIn, cIn))
# ---------------------------------------------------------- --------------------# 替换部分
rnnV2Layer = network.add_rnn_v2(inputT0, 1, lenH, hIn, trt.RNNOperation.RELU)
rnnV2Layer.seq_lengths = inputT1  # 设置每个独立输入的真实长度，默认均为 hIn
rnnV2Layer.set_weights_for_gate(0, trt.RNNGateType.INPUT, True, weightX)
rnnV2Layer.set_weights_for_gate(0, trt.RNNGateType.INPUT, False, weightH)
rnnV2Layer.set_bias_for_gate(0, trt.RNNGateType.INPUT, True, biasX)
rnnV2Layer.set_bias_for_gate(0, trt.RNNGateType.INPUT, False, biasH)
# ---------------------------------------------------------- --------------------# 替换部分
network.mark_output(rnnV2Layer.get_output(0))
network.mark_output(rnnV2Layer.get_output(1))
outputH0, outputH1 = run(builder, network, data, seqLen)

print("inputH0 :", data.shape)
print(data)
print("inputH1 :", data.shape)
print(seqLen)
print("outputH0:", outputH0.shape)
print(outputH0)
print("outputH1:", outputH1.shape)
print(outputH1)
