extension PyTorchCheckpoint: TensorSource {}
