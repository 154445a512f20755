#!/usr/bin/python3
"""Turns an `engine-cli init-tiny` folder into the small Qwen2.5-VL of the SimPO comparison (edits
config.json and preprocessor_config.json in place); `engine-cli init-random --dtype f32 --force` then
writes its weights. Usage: simpo_setup.py FOLDER [--vocab 508|151936]"""
import argparse
import json
import os

parser = argparse.ArgumentParser()
parser.add_argument("folder")
parser.add_argument("--vocab", type=int, default=508)
args = parser.parse_args()

config_path = os.path.join(args.folder, "config.json")
with open(config_path) as f:
    config = json.load(f)
config.update({
    "hidden_size": 512, "num_hidden_layers": 6, "num_attention_heads": 8, "num_key_value_heads": 2,
    "intermediate_size": 1376, "vocab_size": args.vocab,
    "rope_scaling": {"type": "mrope", "mrope_section": [8, 12, 12]},
})
config["vision_config"].update({
    "depth": 4, "hidden_size": 384, "num_heads": 6, "intermediate_size": 1024, "out_hidden_size": 512,
    "window_size": 112, "fullatt_block_indexes": [1, 3],
})
with open(config_path, "w") as f:
    json.dump(config, f, indent=2)

pre_path = os.path.join(args.folder, "preprocessor_config.json")
with open(pre_path) as f:
    pre = json.load(f)
pre["max_pixels"] = 224 * 224
with open(pre_path, "w") as f:
    json.dump(pre, f, indent=2)
