using StyleAlign.Engine.Core;
using StyleAlign.Engine.IO;
using StyleAlign.Engine.IO.Tokenizers;
using StyleAlign.Engine.Vision;
using StyleAlign.Trainers.Batching;
using StyleAlign.Trainers.Data;

// Writes the batches a `simpo --batch-size B --seed S` run trains on, step by step, so that another implementation
// (bench/torch_qwen25vl.py) can run the same steps on the same tokens and pixels:
//   dotnet run --project bench/SimpoBatches -c Release -- WEIGHTS DATA.jsonl BATCH_SIZE STEPS SEED OUT.safetensors
// Per step s: s.input_ids, s.attention_mask, s.target_mask ([2B, T], rows chosen then rejected), s.pixel_values
// ([ΣP, C·t·p·p], once per pair) and s.image_grid_thw ([B, 3]).
if (args.Length != 6)
{
    Console.Error.WriteLine("usage: SimpoBatches WEIGHTS DATA.jsonl BATCH_SIZE STEPS SEED OUT.safetensors");
    return 2;
}
var (weights, data, batchSize, steps, seed, output) = (args[0], args[1], int.Parse(args[2]), int.Parse(args[3]), ulong.Parse(args[4]), args[5]);
var collator = new PreferenceCollator(QwenTokenizer.Load(weights), QwenImageProcessor.Load(weights));
var examples = PreferenceDataset.Load(data, DataLoadOptions.Preference).Examples;
var orders = new Dictionary<int, IReadOnlyList<int>>();
var tensors = new List<(string, Tensor)>();
for (var step = 0; step < steps; step++)
{
    // The trainer's data order: epoch e visits DeterministicShuffle(0..n−1, seed + e).
    var batch = new List<PreferenceExample>();
    for (var k = 0; k < batchSize && k < examples.Count; k++)
    {
        var index = (long)step * batchSize + k;
        var epoch = (int)(index / examples.Count);
        if (!orders.TryGetValue(epoch, out var order))
            orders[epoch] = order = DeterministicShuffle.Shuffled(Enumerable.Range(0, examples.Count), seed + (ulong)epoch);
        batch.Add(examples[order[(int)(index % examples.Count)]]);
    }
    var collated = collator.Collate(batch, includeRejected: true);
    var (rows, length) = (collated.Rows, collated.Length);
    var targets = new long[rows * length];
    for (var r = 0; r < rows; r++)
        for (var p = 0; p < length; p++) targets[r * length + p] = collated.TargetMask[r, p] ? 1 : 0;
    tensors.Add(($"{step}.input_ids", Tensor.FromArray(Flatten(collated.InputIds), rows, length)));
    tensors.Add(($"{step}.attention_mask", Tensor.FromArray(Flatten(collated.AttentionMask), rows, length)));
    tensors.Add(($"{step}.target_mask", Tensor.FromArray(targets, rows, length)));
    tensors.Add(($"{step}.pixel_values", collated.PixelValues!));
    tensors.Add(($"{step}.image_grid_thw", Tensor.FromArray(collated.PairGrids.SelectMany(g => new long[] { g.T, g.H, g.W }).ToArray(), collated.PairGrids.Count, 3)));
}
TensorFiles.Write(output, tensors);
Console.WriteLine($"wrote {steps} batches of {batchSize} pairs to {output}");
return 0;

static long[] Flatten(long[,] values)
{
    var result = new long[values.Length];
    Buffer.BlockCopy(values, 0, result, 0, values.Length * sizeof(long));
    return result;
}
