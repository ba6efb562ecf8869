# The seed's direction example: a bidirectional ReLU RNN, backward direction at layer index 1.
# Changed from the seed only in its imports, its network creation and how it executes.
# Erratum (SEMANTICS.md §9.4): weightFX/weightBX are declared (wIn, lenH); the contract is
# (lenH, wIn). TensorRT read Weights as flat counts, and so does trtrnn (with a WeightLayoutWarning);
# the arrays are all ones, so the printed numbers are the same either way.
import numpy as np
from seedrun import run

from trtrnn.trt import create_network
from trtrnn_v2 import tensorrt as trt

nIn, cIn, hIn, wIn = 1, 3, 4, 7
lenH = 5
data = np.ones(cIn * hIn * wIn, dtype=np.float32).reshape(cIn, hIn, wIn)  # 输入数据
weightFX = np.ones((wIn, lenH), dtype=np.float32)  # 正向权重矩阵 (X->H)
weightFH = np.ones((lenH, lenH), dtype=np.float32)  # 正向权重矩阵 (H->H)
weightBX = np.ones((wIn, lenH), dtype=np.float32)  # 反向权重矩阵 (X->H)
weightBH = np.ones((lenH, lenH), dtype=np.float32)  # 反向权重矩阵 (H->H)
biasFX = np.zeros(lenH, dtype=np.float32)  # 正向偏置 (X->H)
biasFH = np.zeros(lenH, dtype=np.float32)  # 正向偏置 (H->H)
biasBX = np.zeros(lenH, dtype=np.float32)  # 反向偏置 (X->H)
biasBH = np.zeros(lenH, dtype=np.float32)  # 反向偏置 (H->H)

np.set_printoptions(precision=8, linewidth=200, suppress=True)

builder, network = create_network()
inputT0 = network.add_input("inputT0", trt.DataType.FLOAT, (nIn, cIn, hIn, wIn))  # 单输入示例代码
rnnV2Layer = network.add_rnn_v2(inputT0, 1, lenH, hIn, trt.RNNOperation.RELU)  # 基于单输入示例代码
rnnV2Layer.direction = trt.RNNDirection.BIDIRECTION  # RNN 方向，默认值 trt.RNNDirection.UNIDIRECTION 为单向
rnnV2Layer.set_weights_for_gate(0, trt.RNNGateType.INPUT, True, weightFX)
rnnV2Layer.set_weights_for_gate(0, trt.RNNGateType.INPUT, False, weightFH)
rnnV2Layer.set_bias_for_gate(0, trt.RNNGateType.INPUT, True, biasFX)
rnnV2Layer.set_bias_for_gate(0, trt.RNNGateType.INPUT, False, biasFH)
rnnV2Layer.set_weights_for_gate(1, trt.RNNGateType.INPUT, True, weightBX)  # 反向为第 1 层
rnnV2Layer.set_weights_for_gate(1, trt.RNNGateType.INPUT, False, weightBH)
rnnV2Layer.set_bias_for_gate(1, trt.RNNGateType.INPUT, True, biasBX)
rnnV2Layer.set_bias_for_gate(1, trt.RNNGateType.INPUT, False, biasBH)
network.mark_output(rnnV2Layer.get_output(0))
network.mark_output(rnnV2Layer.get_output(1))
outputH0, outputH1 = run(builder, network, data)

print("inputH0 :", data.shape)
print(data)
print("outputH0:", outputH0.shape)
print(outputH0)
print("outputH1:", outputH1.shape)
print(outputH1)
