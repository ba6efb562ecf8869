# The seed's add_rnn（已废弃）example: a 1-layer ReLU RNN through the legacy add_rnn with its weight/bias
# blobs, in an implicit-batch network. Changed from the seed only in its imports, its network creation
# (ImplicitBatchNetwork instead of builder.create_network() + builder config) and its execution
# (network.execute(batch_size, inputs) instead of the engine, cudart buffers and execute_async).
# It runs on the CPU evaluator here and as a TensorRT engine where a GPU can run one
# (TRTRNN_EXECUTION=cpu forces the evaluator).
# fmt: off
import os

import numpy as np

from trtrnn_legacy import ImplicitBatchNetwork
from trtrnn_legacy import tensorrt as trt

nIn, cIn, hIn, wIn = 1, 3, 4, 7
lenH = 5
data = np.ones(cIn * hIn * wIn, dtype=np.float32).reshape(cIn, hIn, wIn)
weight = np.ones((lenH, wIn + lenH), dtype=np.float32)  # 权重矩阵，X 和 H 连接在一起
bias = np.zeros(lenH * 2, dtype=np.float32)  # 偏置，bX 和 bH 连接在一起

np.set_printoptions(precision=8, linewidth=200, suppress=True)

network = ImplicitBatchNetwork(max_batch_size=nIn)  # 必须使用 implicit batch 模式
inputT0 = network.add_input('inputT0', trt.DataType.FLOAT, (cIn, hIn, wIn))
shuffleLayer = network.add_shuffle(inputT0)  # 先 shuffle 成 (hIn,cIn,wIn)
shuffleLayer.first_transpose = (1, 0, 2)
fakeWeight = np.random.rand(lenH, wIn + lenH).astype(np.float32)
fakeBias = np.random.rand(lenH * 2).astype(np.float32)
rnnLayer    = network.add_rnn(shuffleLayer.get_output(0), 1, lenH, hIn, trt.RNNOperation.RELU,\
                                trt.RNNInputMode.LINEAR, trt.RNNDirection.UNIDIRECTION, fakeWeight, fakeBias)
rnnLayer.weights = weight  # 重设 RNN 权重
rnnLayer.bias = bias  # 重设 RNN 偏置
network.mark_output(rnnLayer.get_output(0))
network.mark_output(rnnLayer.get_output(1))

executor = "cpu" if os.environ.get("TRTRNN_EXECUTION") == "cpu" else "auto"
with network:
    outputH0, outputH1 = network.execute(nIn, [data], executor=executor).values()

print("inputH0 :", data.shape)
print(data)
print("outputH0:", outputH0.shape)
print(outputH0)
print("outputH1:", outputH1.shape)
print(outputH1)
