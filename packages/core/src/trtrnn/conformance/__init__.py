"""The shared conformance suite: `pytest --pyargs trtrnn.conformance --trtrnn-backend NAME`."""
