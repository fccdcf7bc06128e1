#!/usr/bin/env python3
"""Loads an rnnd safetensors export into the equivalent torch.nn model and checks its outputs.

  python3 torch_parity.py MODEL.safetensors CASE.json

MODEL.safetensors is read without the safetensors package (8-byte header length, JSON header, F32 data),
the model is rebuilt from the tensor names and shapes (embedding?, lstm|gru|rnn with L layers, head),
`load_state_dict(strict=True)` must accept it, and the outputs for CASE.json's input (time-major, as
rnnd stores batches) must match CASE.json's expected outputs: softmax probabilities for a cross-entropy
head, raw outputs for MSE. Prints the largest absolute difference; exits 1 when it exceeds the tolerance.
"""
import json, struct, sys
import torch, torch.nn as nn


def read_safetensors(path):
    data = open(path, "rb").read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    body = data[8 + n:]
    tensors = {}
    for name, info in header.items():
        assert info["dtype"] == "F32", name
        b, e = info["data_offsets"]
        tensors[name] = torch.frombuffer(bytearray(body[b:e]), dtype=torch.float32).reshape(info["shape"]).clone()
    return tensors, meta


def build(tensors):
    cell = next(k.split(".")[0] for k in tensors if k.split(".")[0] in ("lstm", "gru", "rnn"))
    layers = 1 + max(int(k.rsplit("_l", 1)[1]) for k in tensors if k.startswith(cell + ".weight_ih_l"))
    gates, width = tensors[f"{cell}.weight_ih_l0"].shape
    hidden = tensors[f"{cell}.weight_hh_l0"].shape[1]
    out, _ = tensors["head.weight"].shape
    model = nn.Module()
    if "embedding.weight" in tensors:
        vocab, emb = tensors["embedding.weight"].shape
        model.embedding = nn.Embedding(vocab, emb)
    kind = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[cell]
    setattr(model, cell, kind(width, hidden, layers))
    model.head = nn.Linear(hidden, out)
    model.load_state_dict(tensors, strict=True)
    return model, cell


def main():
    tensors, meta = read_safetensors(sys.argv[1])
    case = json.load(open(sys.argv[2]))
    model, cell = build(tensors)
    B, T = case["batch"], case["seq"]
    with torch.no_grad():
        if "tokens" in case:
            x = model.embedding(torch.tensor(case["tokens"], dtype=torch.long).reshape(T, B))
        else:
            x = torch.tensor(case["features"], dtype=torch.float32).reshape(T, B, -1)
        y, _ = getattr(model, cell)(x)
        if case["targets"] == "lastStep":
            y = y[-1]
        out = model.head(y).reshape(-1, model.head.out_features)
        if case["loss"] == "crossEntropy":
            out = torch.softmax(out, dim=-1)
    expected = torch.tensor(case["expected"], dtype=torch.float32).reshape(out.shape)
    diff = (out - expected).abs().max().item()
    print(f"{cell}: state_dict loaded, largest |torch - rnnd| = {diff:.3g}, metadata keys {sorted(meta)}")
    sys.exit(0 if diff <= case["tolerance"] else 1)


if __name__ == "__main__":
    main()
