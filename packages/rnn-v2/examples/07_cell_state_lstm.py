# The seed's cell_state example (单层单向 LSTM): initial hidden and cell states of shape
# (cIn, 1, lenH). Changed from the seed only in its imports, its network creation and how it executes
# (seedrun.run instead of cudart).
# Erratum (SEMANTICS.md §9.1): the code sets hidden_state to ones, but every number the seed prints
# (0.760517, 0.963940, 0.995037, 0.999321; cell 3.998999) is what a ZERO initial hidden state gives.
# This program runs the code as written (h0 = 1), so it prints the formula's h0 = 1 values
# (0.761587, 0.964005, 0.995047, 0.999323; cell 3.999906); the tests check those, and check the
# printed table with h0 = 0 separately.
import numpy as np
from seedrun import run

from trtrnn.trt import create_network
from trtrnn_v2 import tensorrt as trt

nIn, cIn, hIn, wIn = 1, 3, 4, 7  # 输入张量 NCHW
lenH = 5
data = np.ones(cIn * hIn * wIn, dtype=np.float32).reshape(cIn, hIn, wIn)  # 输入数据
weightAllX = np.ones((lenH, wIn), dtype=np.float32)  # 权重矩阵 (X->H)
weightAllH = np.ones((lenH, lenH), dtype=np.float32)  # 权重矩阵 (H->H)
biasAllX = np.zeros(lenH, dtype=np.float32)  # 偏置 (X->H)
biasAllH = np.zeros(lenH, dtype=np.float32)  # 偏置 (H->H)

np.set_printoptions(precision=8, linewidth=200, suppress=True)

builder, network = create_network()
inputT0 = network.add_input("inputT0", trt.DataType.FLOAT, (nIn, cIn, hIn, wIn))
h0 = network.add_constant((cIn, 1, lenH), np.ones((cIn, 1, lenH), dtype=np.float32))  # 初始隐藏状态
c0 = network.add_constant((cIn, 1, lenH), np.zeros((cIn, 1, lenH), dtype=np.float32))  # 初始细胞状态
rnnV2Layer = network.add_rnn_v2(inputT0, 1, lenH, hIn, trt.RNNOperation.LSTM)  # 基于单输入初始示例代码
rnnV2Layer.hidden_state = h0.get_output(0)
rnnV2Layer.cell_state = c0.get_output(0)  # 设置初始细胞状态，默认为全 0

for kind in [trt.RNNGateType.INPUT, trt.RNNGateType.CELL, trt.RNNGateType.FORGET, trt.RNNGateType.OUTPUT]:
    rnnV2Layer.set_weights_for_gate(0, kind, True, weightAllX)
    rnnV2Layer.set_weights_for_gate(0, kind, False, weightAllH)
    rnnV2Layer.set_bias_for_gate(0, kind, True, biasAllX)
    rnnV2Layer.set_bias_for_gate(0, kind, False, biasAllH)
network.mark_output(rnnV2Layer.get_output(0))
network.mark_output(rnnV2Layer.get_output(1))
network.mark_output(rnnV2Layer.get_output(2))  # 多了一个最终细胞状态可以输出
outputH0, outputH1, outputH2 = run(builder, network, data)

print("inputH0 :", data.shape)
print(data)
print("outputH0:", outputH0.shape)
print(outputH0)
print("outputH1:", outputH1.shape)
print(outputH1)
print("outputH2:", outputH2.shape)
print(outputH2)
