using StyleAlign.Engine.IO;

namespace StyleAlign.Tests.Fuzz;

/// <summary>
/// Mutated forward inputs (safetensors files of input_ids, attention_mask, pixel_values, image_grid_thw) for the
/// tiny Qwen2.5-VL (with and without an image) and the tiny CLIP, run through <c>engine-cli forward</c>. Wrong
/// dtypes, shapes, lengths and values must be refused naming the file and the tensor, before anything is sized from
/// them (a grid of 1×10000×10000 is refused at once); re-encodings and optional inputs left out must run.
/// </summary>
internal sealed class ForwardInputsFuzz : IFuzzTarget
{
    private const int QwenVocab = 512, QwenPositions = 2048, ImagePad = 500;
    private readonly FuzzWorkspace _workspace;
    private readonly (string Name, string Weights, Dictionary<string, Input> Inputs)[] _seeds;

    public ForwardInputsFuzz(FuzzWorkspace workspace)
    {
        _workspace = workspace;
        _seeds =
        [
            ("qwen image", FuzzWorkspace.Fixture("qwen25vl_tiny"), Read("qwen25vl_tiny", "case2_image_text.safetensors", "input_ids", "attention_mask", "pixel_values", "image_grid_thw")),
            ("qwen text", FuzzWorkspace.Fixture("qwen25vl_tiny"), Read("qwen25vl_tiny", "case1_text_leftpad.safetensors", "input_ids", "attention_mask")),
            ("clip", FuzzWorkspace.Fixture("clip_tiny"), Read("clip_tiny", "case_forward.safetensors", "input_ids", "attention_mask", "pixel_values")),
        ];
    }

    public string Kind => "forward-inputs";

    /// <summary>One input tensor: its dtype, shape and values (integers held exactly in doubles).</summary>
    private sealed record Input(SafetensorsDType DType, long[] Shape, double[] Values);

    private static Dictionary<string, Input> Read(string fixture, string file, params string[] names)
    {
        using var source = SafetensorsFile.Open(FuzzWorkspace.Fixture(fixture, file));
        return names.ToDictionary(n => n, n =>
        {
            var entry = source.GetEntry(n);
            var values = entry.DType.IsFloatingPoint() ? source.ReadAsFloat32(n).Select(v => (double)v).ToArray() : source.ReadAsInt64(n).Select(v => (double)v).ToArray();
            return new Input(entry.DType, entry.Shape, values);
        });
    }

    public FuzzCase Generate(Random rng, string folder)
    {
        var (seedName, weights, seedInputs) = rng.Pick(_seeds);
        var inputs = seedInputs.ToDictionary(kv => kv.Key, kv => kv.Value);
        string path = Path.Combine(folder, "inputs.safetensors");
        bool qwen = seedName != "clip";
        string mutation;
        Expect expect;
        string? tensor;
        if (rng.Next(8) == 0)
        {
            (mutation, expect, tensor) = MutateFile(rng, inputs, path);
        }
        else
        {
            (mutation, expect, tensor) = qwen ? MutateQwen(rng, inputs, seedName == "qwen image") : MutateClip(rng, inputs);
            Write(path, inputs);
        }
        string output = Path.Combine(folder, "out.safetensors");
        string[] names = tensor is null ? [folder] : [folder, $"'{tensor}'"];
        return FuzzCase.Command($"{seedName}: {mutation}", expect, new VerbCommand(["forward", "--weights", weights, "--inputs", path, "--out", output]), names,
            () => CheckOutputs(output, qwen));
    }

    /// <summary>An accepted input must produce finite outputs.</summary>
    private static void CheckOutputs(string output, bool qwen)
    {
        using var file = SafetensorsFile.Open(output);
        string name = qwen ? "logits" : file.Entries.ContainsKey("image_embeds") ? "image_embeds" : "text_embeds";
        if (!file.ReadAsFloat32(name).All(float.IsFinite)) throw new InvariantBrokenException($"{name} holds NaN or infinity");
    }

    private static (string, Expect, string?) MutateQwen(Random rng, Dictionary<string, Input> inputs, bool image)
    {
        var ids = inputs["input_ids"];
        long batch = ids.Shape[0], length = ids.Shape[1];
        switch (rng.Next(image ? 22 : 14))
        {
            case 0: return ("as is", Expect.Accept, null);
            case 1:
                inputs.Remove("input_ids");
                return ("input_ids removed", Expect.Refuse, "input_ids");
            case 2:
                inputs.Remove("attention_mask");
                return ("attention_mask removed", Expect.Accept, null);
            case 3:
                inputs["input_ids"] = ids with { DType = rng.Pick(new[] { SafetensorsDType.F32, SafetensorsDType.BF16 }) };
                return ($"input_ids stored as {inputs["input_ids"].DType}", Expect.Refuse, "input_ids");
            case 4:
                inputs["input_ids"] = ids with { DType = SafetensorsDType.I32 };
                inputs["attention_mask"] = inputs["attention_mask"] with { DType = SafetensorsDType.I32 };
                return ("ids and mask stored as I32", Expect.Accept, null);
            case 5:
            {
                long cut = length + rng.Pick(new[] { -1, 1, 5 });
                inputs["attention_mask"] = Resized(inputs["attention_mask"], batch, cut, 1);
                return ($"attention_mask of length {cut} for {length} ids", Expect.Refuse, "attention_mask");
            }
            case 6:
            {
                var mask = inputs["attention_mask"];
                var values = (double[])mask.Values.Clone();
                values[rng.Next(values.Length)] = rng.Pick(new[] { 2.0, -1.0, 7.0 });
                inputs["attention_mask"] = mask with { Values = values };
                return ("attention_mask value outside 0/1", Expect.Refuse, "attention_mask");
            }
            case 7:
            {
                var values = (double[])ids.Values.Clone();
                int at = FirstTextPosition(values, rng);
                values[at] = rng.Pick(new[] { (double)QwenVocab, -1.0, 1e12, 4_000_000_000.0 });
                inputs["input_ids"] = ids with { Values = values };
                return ($"input_ids[{at}] = {values[at]}", Expect.Refuse, "input_ids");
            }
            case 8:
            {
                var values = (double[])ids.Values.Clone();
                int at = FirstTextPosition(values, rng);
                values[at] = rng.Next(1, 500);
                inputs["input_ids"] = ids with { Values = values };
                return ($"a text id changed to {values[at]} (valid)", Expect.Accept, null);
            }
            case 9:
                inputs["input_ids"] = ids with { Shape = [batch * length] };
                return ("input_ids of rank 1", Expect.Refuse, "input_ids");
            case 10:
            {
                var mask = inputs["attention_mask"];
                var values = (double[])mask.Values.Clone();
                Array.Fill(values, 0, 0, (int)length);
                inputs["attention_mask"] = mask with { Values = values };
                return ("attention_mask row 0 all zero", Expect.Refuse, "attention_mask");
            }
            case 11:
                inputs["input_ids"] = Resized(ids, batch, QwenPositions + 1, 5);
                inputs["attention_mask"] = Resized(inputs["attention_mask"], batch, QwenPositions + 1, 1);
                return ($"{QwenPositions + 1} tokens, beyond max_position_embeddings", Expect.Refuse, "input_ids");
            case 12:
                inputs["extra_input"] = new Input(SafetensorsDType.F32, [2], [1, 2]);
                return ("an input no model reads", Expect.Accept, null);
            case 13:
                if (image) goto case 0;
                inputs["input_ids"] = Resized(ids, batch, 200, 9);
                inputs["attention_mask"] = Resized(inputs["attention_mask"], batch, 200, 1);
                return ("200 ordinary tokens (valid)", Expect.Accept, null);
        }
        var grid = inputs["image_grid_thw"];
        var pixels = inputs["pixel_values"];
        switch (rng.Next(10))
        {
            case 0:
                inputs["image_grid_thw"] = grid with { Values = [1, 10000, 10000] };
                return ("image_grid_thw = [1, 10000, 10000]", Expect.Refuse, "image_grid_thw");
            case 1:
            {
                var values = (double[])grid.Values.Clone();
                int at = rng.Next(3);
                values[at] = rng.Pick(new[] { 0.0, -2.0, 3.0, 7.0, 1e9 });
                inputs["image_grid_thw"] = grid with { Values = values };
                return ($"image_grid_thw[{at}] = {values[at]}", Expect.Refuse, "image_grid_thw");
            }
            case 2:
                inputs.Remove(rng.Next(2) == 0 ? "pixel_values" : "image_grid_thw");
                return ($"{(inputs.ContainsKey("pixel_values") ? "image_grid_thw" : "pixel_values")} removed", Expect.Refuse,
                    inputs.ContainsKey("pixel_values") ? "image_grid_thw" : "pixel_values");
            case 3:
                inputs["pixel_values"] = pixels with { Shape = [pixels.Shape[0] - 1, pixels.Shape[1]], Values = pixels.Values[..^(int)pixels.Shape[1]] };
                return ("one pixel row fewer than the grid needs", Expect.Refuse, "image_grid_thw");
            case 4:
                inputs["pixel_values"] = pixels with { Shape = [pixels.Shape[0], 1175], Values = pixels.Values[..(int)(pixels.Shape[0] * 1175)] };
                return ("pixel_values rows of 1175", Expect.Refuse, "pixel_values");
            case 5:
                inputs["pixel_values"] = pixels with { DType = SafetensorsDType.I64, Values = pixels.Values.Select(v => Math.Round(v)).ToArray() };
                return ("pixel_values stored as I64", Expect.Refuse, "pixel_values");
            case 6:
                inputs["pixel_values"] = pixels with { DType = SafetensorsDType.BF16 };
                return ("pixel_values stored as BF16 (valid)", Expect.Accept, null);
            case 7:
            {
                var values = (double[])ids.Values.Clone();
                int pad = Array.IndexOf(values, (double)ImagePad);
                values[pad] = 9;
                inputs["input_ids"] = ids with { Values = values };
                return ("one image-pad token replaced by text", Expect.Refuse, "input_ids");
            }
            case 8:
                inputs["image_grid_thw"] = grid with { Shape = [3] };
                return ("image_grid_thw of rank 1", Expect.Refuse, "image_grid_thw");
            default:
                inputs["image_grid_thw"] = grid with { DType = SafetensorsDType.F32 };
                return ("image_grid_thw stored as F32", Expect.Refuse, "image_grid_thw");
        }
    }

    private static (string, Expect, string?) MutateClip(Random rng, Dictionary<string, Input> inputs)
    {
        var ids = inputs["input_ids"];
        var pixels = inputs["pixel_values"];
        switch (rng.Next(11))
        {
            case 0: return ("as is", Expect.Accept, null);
            case 1:
                inputs.Remove("pixel_values");
                return ("text only (valid)", Expect.Accept, null);
            case 2:
                inputs.Remove("input_ids");
                inputs.Remove("attention_mask");
                return ("image only (valid)", Expect.Accept, null);
            case 3:
                inputs["pixel_values"] = pixels with { Shape = [2, 3, 32 * 32 / 33, 33], Values = pixels.Values[..(2 * 3 * (32 * 32 / 33) * 33)] };
                return ("pixel_values 31x33", Expect.Refuse, "pixel_values");
            case 4:
                inputs["pixel_values"] = pixels with { Shape = [6, 1, 32, 32] };
                return ("pixel_values with 1 channel", Expect.Refuse, "pixel_values");
            case 5:
            {
                var values = (double[])ids.Values.Clone();
                values[rng.Next(values.Length)] = rng.Pick(new[] { 1e6, -3.0 });
                inputs["input_ids"] = ids with { Values = values };
                return ("input_ids outside the vocabulary", Expect.Refuse, "input_ids");
            }
            case 6:
                inputs["attention_mask"] = Resized(inputs["attention_mask"], ids.Shape[0], ids.Shape[1] - 1, 1);
                return ("attention_mask one shorter than input_ids", Expect.Refuse, "attention_mask");
            case 7:
                inputs["input_ids"] = Resized(ids, ids.Shape[0], 49, 5);
                inputs["attention_mask"] = Resized(inputs["attention_mask"], ids.Shape[0], 49, 1);
                return ("49 tokens, beyond max_position_embeddings 48", Expect.Refuse, "input_ids");
            case 8:
                inputs["pixel_values"] = pixels with { DType = SafetensorsDType.I32, Values = pixels.Values.Select(v => Math.Round(v)).ToArray() };
                return ("pixel_values stored as I32", Expect.Refuse, "pixel_values");
            case 9:
                inputs.Remove("input_ids");
                return ("attention_mask without input_ids", Expect.Refuse, "attention_mask");
            default:
                inputs["input_ids"] = ids with { DType = SafetensorsDType.F32 };
                return ("input_ids stored as F32", Expect.Refuse, "input_ids");
        }
    }

    /// <summary>Damage to the file itself rather than to one tensor.</summary>
    private (string, Expect, string?) MutateFile(Random rng, Dictionary<string, Input> inputs, string path)
    {
        Write(path, inputs);
        byte[] bytes = File.ReadAllBytes(path);
        switch (rng.Next(4))
        {
            case 0:
                File.WriteAllBytes(path, bytes[..rng.Next(bytes.Length)]);
                return ("file truncated", Expect.Refuse, null);
            case 1:
                File.WriteAllBytes(path, Mutate.FlipBytes(bytes, rng, rng.Next(1, 4), 8, Math.Min(bytes.Length, 400)));
                return ("header bytes flipped", Expect.Either, null);
            case 2:
                File.WriteAllBytes(path, Mutate.FlipBytes(bytes, rng, rng.Next(1, 8), Math.Min(bytes.Length - 1, 400)));
                return ("data bytes flipped", Expect.Either, null);
            default:
                return (FileKinds.Replace(path, rng, _workspace, 1L << 20), Expect.Refuse, null);
        }
    }

    private static int FirstTextPosition(double[] ids, Random rng)
    {
        var text = Enumerable.Range(0, ids.Length).Where(i => ids[i] is > 0 and < 500).ToList();
        return text.Count == 0 ? 0 : rng.Pick(text);
    }

    /// <summary>A [batch, length] tensor with each row cut or extended (with <paramref name="fill"/>).</summary>
    private static Input Resized(Input input, long batch, long length, double fill)
    {
        var values = new double[batch * length];
        long oldLength = input.Shape[^1];
        for (long b = 0; b < batch; b++)
            for (long t = 0; t < length; t++)
                values[b * length + t] = t < oldLength && b * oldLength + t < input.Values.Length ? input.Values[b * oldLength + t] : fill;
        return input with { Shape = [batch, length], Values = values };
    }

    private static void Write(string path, Dictionary<string, Input> inputs) =>
        SafetensorsWriter.Write(path, inputs.Select(kv => Encode(kv.Key, kv.Value)));

    private static (string, SafetensorsDType, long[], ReadOnlyMemory<byte>) Encode(string name, Input input) => input.DType switch
    {
        SafetensorsDType.I64 => SafetensorsWriter.Int64(name, input.Shape, input.Values.Select(v => (long)v).ToArray()),
        SafetensorsDType.I32 => SafetensorsWriter.Int32(name, input.Shape, input.Values.Select(v => (int)Math.Clamp(v, int.MinValue, int.MaxValue)).ToArray()),
        SafetensorsDType.BF16 => SafetensorsWriter.BFloat16(name, input.Shape, input.Values.Select(v => (ushort)(BitConverter.SingleToUInt32Bits((float)v) >> 16)).ToArray()),
        _ => SafetensorsWriter.Float32(name, input.Shape, input.Values.Select(v => (float)v).ToArray()),
    };
}
