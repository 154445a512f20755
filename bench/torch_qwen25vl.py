#!/usr/bin/python3.11
"""Plain-PyTorch Qwen2.5-VL and one SimPO full fine-tuning loop, the side-by-side of `engine-cli simpo --full`.

The model follows docs/models.md: the vision tower (patch matmul, 2-D rotary, windowed and full-image attention,
the 2x2 merger and the reorder back to raster order), the M-RoPE decoder with GQA, the tied LM head; SimPO
(beta 2, gamma 1, no label smoothing) on length-normalized log-probs of the target positions only. The vision
tower is frozen, as `--full` without `--train-vision` leaves it; AdamW (betas 0.9/0.999, eps 1e-8, no weight
decay), a constant learning rate and global-norm clipping at 1.

It reads a checkpoint folder (model.safetensors or shards, config.json) and the batches written by
bench/SimpoBatches, runs the steps, and saves the trained weights and a checkpoint (weights + optimizer state)
under --out, as the engine's run does. One JSON line per step (step, loss, step_seconds), then a summary line.

Usage: torch_qwen25vl.py --weights DIR --batches FILE --steps N --out DIR [--threads 2] [--lr 1e-6]
       torch_qwen25vl.py --weights DIR --forward [--image-size 448] [--text-tokens 32] [--threads 2]
"""
import argparse
import json
import math
import os
import struct
import time

import numpy as np
import torch
import torch.nn.functional as F

DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "I32": np.int32, "BF16": np.uint16, "F16": np.float16,
          "U8": np.uint8, "BOOL": np.bool_}


def read_safetensors(path, mapped=False):
    """name -> torch tensor, read through a memory map: copied into memory with bf16 widened to f32, or (mapped)
    left in the read-only mapping in the stored dtype, bf16 as torch.bfloat16, as frozen weights are used."""
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
    data = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + length)
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        raw = np.frombuffer(data[begin:end], dtype=DTYPES[entry["dtype"]]).reshape(entry["shape"])
        if mapped:
            # torch takes no uint16 array: bf16 bits pass through int16.
            tensors[name] = torch.from_numpy(raw.view(np.int16)).view(torch.bfloat16) if entry["dtype"] == "BF16" else torch.from_numpy(raw)
            continue
        if entry["dtype"] == "BF16":
            raw = (raw.astype(np.uint32) << 16).view(np.float32)
        tensors[name] = torch.from_numpy(np.array(raw))
    return tensors


def write_safetensors(path, tensors):
    names = sorted(tensors)
    header, offset, blobs = {}, 0, []
    for name in names:
        array = tensors[name].detach().contiguous().numpy()
        blob = array.tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape), "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    header["__metadata__"] = {"format": "pt"}
    encoded = json.dumps(header).encode()
    encoded += b" " * ((8 - len(encoded) % 8) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(encoded)))
        f.write(encoded)
        for blob in blobs:
            f.write(blob)
    os.replace(path + ".tmp", path)


def load_checkpoint(folder, mapped=False):
    index = os.path.join(folder, "model.safetensors.index.json")
    files = sorted(set(json.load(open(index))["weight_map"].values())) if os.path.exists(index) else ["model.safetensors"]
    weights = {}
    for file in files:
        weights.update(read_safetensors(os.path.join(folder, file), mapped))
    return {name.replace("model.language_model.", "model.").replace("model.visual.", "visual."): t for name, t in weights.items()}


def rms_norm(x, weight, eps):
    """Normalized in f32 whatever x holds, then scaled in x's dtype."""
    wide = x.float()
    return weight * (wide * torch.rsqrt(wide.pow(2).mean(-1, keepdim=True) + eps)).to(x.dtype)


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def attend(q, k, v, mask=None):
    """q [N, H, Tq, D], k/v [N, H, Tk, D]; softmax in f32."""
    scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask, torch.finfo(scores.dtype).min)
    return torch.softmax(scores.float(), dim=-1).to(v.dtype) @ v


class Vision(torch.nn.Module):
    def __init__(self, cfg, w):
        super().__init__()
        self.cfg = cfg
        self.w = w

    def layout(self, grids):
        merge, patch, window = self.cfg["spatial_merge_size"], self.cfg["patch_size"], self.cfg["window_size"]
        units = window // merge // patch
        hpos, wpos, window_index, cu_window, cu_full, base = [], [], [], [0], [0], 0
        for t, h, w in grids:
            for _ in range(t):
                for bh in range(h // merge):
                    for bw in range(w // merge):
                        for mh in range(merge):
                            for mw in range(merge):
                                hpos.append(bh * merge + mh)
                                wpos.append(bw * merge + mw)
                cu_full.append(cu_full[-1] + h * w)
            lh, lw = h // merge, w // merge
            wh, ww = (lh + units - lh % units) // units, (lw + units - lw % units) // units
            for f in range(t):
                for wr in range(wh):
                    for wc in range(ww):
                        count = 0
                        for r in range(wr * units, min(wr * units + units, lh)):
                            for c in range(wc * units, min(wc * units + units, lw)):
                                window_index.append(base + f * lh * lw + r * lw + c)
                                count += 1
                        cu_window.append(cu_window[-1] + merge * merge * count)
            base += t * lh * lw
        dedup = [v for i, v in enumerate(cu_window) if i == 0 or v != cu_window[i - 1]]
        return hpos, wpos, window_index, dedup, cu_full

    def segment_attention(self, q, k, v, cu):
        """Non-causal attention inside each segment of the packed [P, H, D] rows; equal-length segments batched."""
        out = torch.empty_like(q)
        lengths = {}
        for i in range(len(cu) - 1):
            lengths.setdefault(cu[i + 1] - cu[i], []).append(cu[i])
        for length, starts in lengths.items():
            index = (torch.tensor(starts)[:, None] + torch.arange(length)[None, :]).reshape(-1)
            shape = (len(starts), length) + q.shape[1:]
            qs, ks, vs = (t.index_select(0, index).reshape(shape).transpose(1, 2) for t in (q, k, v))
            out.index_copy_(0, index, attend(qs, ks, vs).transpose(1, 2).reshape(-1, *q.shape[1:]))
        return out

    def forward(self, pixels, grids):
        cfg, w = self.cfg, self.w
        hidden, heads = cfg["hidden_size"], cfg["num_heads"]
        head_dim = hidden // heads
        hpos, wpos, window_index, cu_window, cu_full = self.layout(grids)
        x = pixels @ w["visual.patch_embed.proj.weight"].reshape(hidden, -1).t()
        rotary = head_dim // 2
        inv_freq = 1.0 / torch.pow(torch.tensor(10000.0), torch.arange(0, rotary, 2, dtype=torch.float32) / rotary)
        angles = torch.cat([torch.tensor(hpos, dtype=torch.float32)[:, None] * inv_freq,
                            torch.tensor(wpos, dtype=torch.float32)[:, None] * inv_freq], dim=1)
        emb = torch.cat([angles, angles], dim=1)
        unit = cfg["spatial_merge_size"] ** 2
        order = torch.tensor([m * unit + i for m in window_index for i in range(unit)])
        x = x.index_select(0, order)
        cos = emb.cos().index_select(0, order)[:, None, :].to(x.dtype)
        sin = emb.sin().index_select(0, order)[:, None, :].to(x.dtype)
        for i in range(cfg["depth"]):
            p = f"visual.blocks.{i}."
            n = x.shape[0]
            qkv = F.linear(rms_norm(x, w[p + "norm1.weight"], 1e-6), w[p + "attn.qkv.weight"], w[p + "attn.qkv.bias"])
            q, k, v = qkv.reshape(n, 3, heads, head_dim).unbind(1)
            q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
            attn = self.segment_attention(q, k, v, cu_full if i in cfg["fullatt_block_indexes"] else cu_window)
            x = x + F.linear(attn.reshape(n, hidden), w[p + "attn.proj.weight"], w[p + "attn.proj.bias"])
            z = rms_norm(x, w[p + "norm2.weight"], 1e-6)
            gate = F.silu(F.linear(z, w[p + "mlp.gate_proj.weight"], w[p + "mlp.gate_proj.bias"]))
            up = F.linear(z, w[p + "mlp.up_proj.weight"], w[p + "mlp.up_proj.bias"])
            x = x + F.linear(gate * up, w[p + "mlp.down_proj.weight"], w[p + "mlp.down_proj.bias"])
        merged = rms_norm(x, w["visual.merger.ln_q.weight"], 1e-6).reshape(-1, hidden * unit)
        merged = F.gelu(F.linear(merged, w["visual.merger.mlp.0.weight"], w["visual.merger.mlp.0.bias"]))
        merged = F.linear(merged, w["visual.merger.mlp.2.weight"], w["visual.merger.mlp.2.bias"])
        reverse = torch.empty(len(window_index), dtype=torch.long)
        reverse[torch.tensor(window_index)] = torch.arange(len(window_index))
        return merged.index_select(0, reverse)


def position_ids(ids, mask, grids, image_token, merge):
    """[3, B, T] M-RoPE ids (docs/models.md, "M-RoPE position ids"); rows take the grids in order."""
    batch, length = ids.shape
    positions = torch.ones(3, batch, length, dtype=torch.long)
    cursor = 0
    for b in range(batch):
        valid = [t for t in range(length) if mask[b, t] != 0]
        tokens = [int(ids[b, t]) for t in valid]
        row, st, nxt = [], 0, 0
        while image_token in tokens[st:]:
            ed = tokens.index(image_token, st)
            gt, gh, gw = grids[cursor]
            cursor += 1
            for _ in range(st, ed):
                row.append((nxt, nxt, nxt))
                nxt += 1
            lh, lw, start = gh // merge, gw // merge, nxt
            biggest = start
            for _ in range(gt):
                for r in range(lh):
                    for c in range(lw):
                        row.append((start, start + r, start + c))
                        biggest = max(biggest, start + r, start + c)
            nxt = biggest + 1
            st = ed + gt * lh * lw
        for _ in range(st, len(tokens)):
            row.append((nxt, nxt, nxt))
            nxt += 1
        for i, t in enumerate(valid):
            positions[:, b, t] = torch.tensor(row[i])
    return positions


class Decoder(torch.nn.Module):
    def __init__(self, cfg, params):
        super().__init__()
        self.cfg = cfg
        self.p = params

    def rope(self, positions):
        cfg = self.cfg
        head_dim = cfg["hidden_size"] // cfg["num_attention_heads"]
        section = cfg["rope_scaling"]["mrope_section"]
        exponent = torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim
        inv_freq = 1.0 / torch.pow(torch.tensor(float(cfg["rope_theta"]), dtype=torch.float32), exponent)
        component = torch.tensor([0] * section[0] + [1] * section[1] + [2] * section[2])
        angles = positions.float()[component, :, :].permute(1, 2, 0) * inv_freq
        emb = torch.cat([angles, angles], dim=-1)
        return emb.cos(), emb.sin()

    def forward(self, ids, mask, image_embeds, positions):
        cfg, p = self.cfg, self.p
        heads, kv_heads = cfg["num_attention_heads"], cfg["num_key_value_heads"]
        head_dim = cfg["hidden_size"] // heads
        batch, length = ids.shape
        x = F.embedding(ids, p["model.embed_tokens.weight"])
        is_image = ids == cfg["image_token_id"]
        x = x.masked_scatter(is_image[..., None].expand_as(x), image_embeds)
        cos, sin = self.rope(positions)
        cos, sin = cos[:, None].to(x.dtype), sin[:, None].to(x.dtype)
        keep = torch.ones(length, length, dtype=torch.bool).tril()[None, None] & mask.bool()[:, None, None, :]
        for i in range(cfg["num_hidden_layers"]):
            q_ = f"model.layers.{i}."
            h = rms_norm(x, p[q_ + "input_layernorm.weight"], cfg["rms_norm_eps"])
            q = F.linear(h, p[q_ + "self_attn.q_proj.weight"], p[q_ + "self_attn.q_proj.bias"]).view(batch, length, heads, head_dim).transpose(1, 2)
            k = F.linear(h, p[q_ + "self_attn.k_proj.weight"], p[q_ + "self_attn.k_proj.bias"]).view(batch, length, kv_heads, head_dim).transpose(1, 2)
            v = F.linear(h, p[q_ + "self_attn.v_proj.weight"], p[q_ + "self_attn.v_proj.bias"]).view(batch, length, kv_heads, head_dim).transpose(1, 2)
            q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
            k, v = (t.repeat_interleave(heads // kv_heads, dim=1) for t in (k, v))
            attn = attend(q, k, v, keep).transpose(1, 2).reshape(batch, length, heads * head_dim)
            x = x + F.linear(attn, p[q_ + "self_attn.o_proj.weight"])
            z = rms_norm(x, p[q_ + "post_attention_layernorm.weight"], cfg["rms_norm_eps"])
            mlp = F.silu(F.linear(z, p[q_ + "mlp.gate_proj.weight"])) * F.linear(z, p[q_ + "mlp.up_proj.weight"])
            x = x + F.linear(mlp, p[q_ + "mlp.down_proj.weight"])
        return rms_norm(x, p["model.norm.weight"], cfg["rms_norm_eps"])


def simpo_loss(hidden, ids, targets, head, beta=2.0, gamma=1.0):
    """Length-normalized target log-probs per row, rows [chosen...; rejected...]; logits at target positions only."""
    rows, positions = torch.nonzero(targets[:, 1:], as_tuple=True)
    selected = hidden[rows, positions]
    logp = torch.log_softmax(selected @ head.t(), dim=-1).gather(1, ids[rows, positions + 1][:, None])[:, 0]
    count = ids.shape[0]
    sums = torch.zeros(count).index_add(0, rows, logp)
    average = sums / targets.sum(1).float()
    pairs = count // 2
    z = beta * (average[:pairs] - average[pairs:]) - gamma
    return -F.logsigmoid(z).mean()


def resident_peak_bytes():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmHWM:"))


def forward_benchmark(args):
    """The side-by-side of `engine-cli bench model-forward`: weights left in the mapped checkpoint in their stored
    dtype (bf16 for a bf16 checkpoint, computed in bf16 as transformers' bf16 models are), one square image of
    --image-size pixels (random pixel values of the processor's shape: the time does not depend on them) between
    two halves of --text-tokens ordinary tokens, logits of the last position only."""
    started = time.perf_counter()
    cfg = json.load(open(os.path.join(args.weights, "config.json")))
    weights = load_checkpoint(args.weights, mapped=True)
    dtype = weights["model.embed_tokens.weight"].dtype
    vcfg = cfg["vision_config"]
    patch, merge = vcfg["patch_size"], vcfg["spatial_merge_size"]
    side = args.image_size // (patch * merge) * merge
    grid = (1, side, side)
    pixels = torch.randn(side * side, 3 * vcfg["temporal_patch_size"] * patch * patch, generator=torch.Generator().manual_seed(0)).to(dtype)
    image_tokens = side * side // (merge * merge)
    half = args.text_tokens // 2
    tokens = [100 + i for i in range(half)] + [cfg["vision_start_token_id"]] + [cfg["image_token_id"]] * image_tokens
    tokens += [cfg["vision_end_token_id"]] + [200 + i for i in range(args.text_tokens - half)]
    ids = torch.tensor([tokens])
    mask = torch.ones_like(ids)
    loaded = time.perf_counter()
    with torch.no_grad():
        embeds = Vision(vcfg, weights)(pixels, [grid])
        vision_done = time.perf_counter()
        positions = position_ids(ids, mask, [grid], cfg["image_token_id"], merge)
        hidden = Decoder(cfg, weights)(ids, mask, embeds, positions)
        head = weights["model.embed_tokens.weight"] if cfg.get("tie_word_embeddings", True) else weights["lm_head.weight"]
        logits = hidden[:, -1] @ head.t()
    done = time.perf_counter()
    print(json.dumps({"patches": pixels.shape[0], "sequence_tokens": len(tokens), "vocab": logits.shape[-1], "dtype": str(dtype),
                      "load_seconds": round(loaded - started, 2), "vision_seconds": round(vision_done - loaded, 2),
                      "forward_seconds": round(done - loaded, 2), "peak_rss_bytes": resident_peak_bytes(),
                      "threads": torch.get_num_threads(), "torch": torch.__version__}), flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--weights", required=True)
    parser.add_argument("--batches")
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--out")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--lr", type=float, default=1e-6)
    parser.add_argument("--forward", action="store_true", help="time one forward pass instead of training (see forward_benchmark)")
    parser.add_argument("--image-size", type=int, default=448)
    parser.add_argument("--text-tokens", type=int, default=32)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.forward:
        forward_benchmark(args)
        return
    if args.batches is None or args.out is None:
        parser.error("training needs --batches and --out")
    started = time.perf_counter()

    cfg = json.load(open(os.path.join(args.weights, "config.json")))
    weights = load_checkpoint(args.weights)
    trained = {n: torch.nn.Parameter(t) for n, t in weights.items() if not n.startswith("visual.") and n != "lm_head.weight"}
    frozen = {n: t for n, t in weights.items() if n.startswith("visual.")}
    vision = Vision(cfg["vision_config"], frozen)
    decoder = Decoder(cfg, trained)
    optimizer = torch.optim.AdamW(list(trained.values()), lr=args.lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
    batches = read_safetensors(args.batches)
    loaded = time.perf_counter()

    for step in range(args.steps):
        clock = time.perf_counter()
        b = {k.split(".", 1)[1]: v for k, v in batches.items() if k.startswith(f"{step}.")}
        ids, mask, targets = b["input_ids"], b["attention_mask"], b["target_mask"].bool()
        grids = [tuple(int(v) for v in g) for g in b["image_grid_thw"]]
        with torch.no_grad():
            pair_embeds = vision(b["pixel_values"], grids)
        positions = position_ids(ids, mask, grids + grids, cfg["image_token_id"], cfg["vision_config"]["spatial_merge_size"])
        hidden = decoder(ids, mask, torch.cat([pair_embeds, pair_embeds]), positions)
        head = trained["model.embed_tokens.weight"] if cfg.get("tie_word_embeddings", True) else trained["lm_head.weight"]
        loss = simpo_loss(hidden, ids, targets, head)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(list(trained.values()), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        print(json.dumps({"step": step + 1, "loss": loss.item(), "step_seconds": time.perf_counter() - clock}), flush=True)

    trained_at = time.perf_counter()
    os.makedirs(os.path.join(args.out, f"checkpoint-{args.steps}"), exist_ok=True)
    values = {n: p.data for n, p in trained.items()}
    write_safetensors(os.path.join(args.out, f"checkpoint-{args.steps}", "model.safetensors"), values)
    torch.save(optimizer.state_dict(), os.path.join(args.out, f"checkpoint-{args.steps}", "optimizer.pt"))
    write_safetensors(os.path.join(args.out, "model.safetensors"), values)
    done = time.perf_counter()
    print(json.dumps({"load_seconds": loaded - started, "train_seconds": trained_at - loaded, "save_seconds": done - trained_at,
                      "threads": torch.get_num_threads(), "torch": torch.__version__}), flush=True)


if __name__ == "__main__":
    main()
