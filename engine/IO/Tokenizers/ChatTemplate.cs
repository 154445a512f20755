using System.Text;
using StyleAlign.Engine.Vision;

namespace StyleAlign.Engine.IO.Tokenizers;

/// <summary>Token ids of one chat sample and which of them the loss scores.</summary>
/// <param name="InputIds">[T] ids of the whole sequence.</param>
/// <param name="TargetMask">[T], aligned with <paramref name="InputIds"/>: <c>TargetMask[p]</c> is true when token
/// <c>InputIds[p]</c> is a response target. The logits that predict it sit at row p − 1 (see
/// <see cref="ShiftedTargetMask"/>).</param>
/// <param name="PromptLength">Tokens up to and including <c>&lt;|im_start|&gt;assistant\n</c>.</param>
public sealed record ChatEncoding(IReadOnlyList<int> InputIds, IReadOnlyList<bool> TargetMask, int PromptLength)
{
    public int Length => InputIds.Count;

    public int TargetCount => TargetMask.Count(t => t);

    /// <summary>HF-style labels aligned with the input (the model shifts them): the id where the mask is set,
    /// <paramref name="ignoreIndex"/> elsewhere.</summary>
    public int[] Labels(int ignoreIndex = -100) =>
        InputIds.Select((id, p) => TargetMask[p] ? id : ignoreIndex).ToArray();

    /// <summary>[T − 1]: entry j is true when logits row j (which predicts <c>InputIds[j + 1]</c>) is scored.</summary>
    public bool[] ShiftedTargetMask() => TargetMask.Skip(1).ToArray();
}

/// <summary>The Qwen2-VL / Qwen2.5-VL chat template for a single user turn (images, then text) and an optional
/// assistant reply, with the processor's expansion of each image into its LLM tokens.</summary>
public static class ChatTemplate
{
    public const string DefaultSystemPrompt = "You are a helpful assistant.";

    /// <summary>What <c>apply_chat_template(..., add_generation_prompt=True)</c> renders: one
    /// <c>&lt;|image_pad|&gt;</c> per image, ending with <c>&lt;|im_start|&gt;assistant\n</c>.</summary>
    public static string RenderPrompt(string userText, int imageCount = 1, string? systemPrompt = null) =>
        BuildPrompt(userText, Enumerable.Repeat(1, imageCount), systemPrompt);

    /// <summary>The whole conversation as the template renders it (image pads not yet expanded).</summary>
    public static string RenderConversation(string userText, int imageCount, string response, string? systemPrompt = null) =>
        RenderPrompt(userText, imageCount, systemPrompt) + response + QwenTokenizer.ImEnd + "\n";

    /// <summary>The processor step: the k-th <c>&lt;|image_pad|&gt;</c> becomes t·h·w / merge² copies.</summary>
    public static string ExpandImagePads(string rendered, IReadOnlyList<ImageGrid> grids, int mergeSize = 2)
    {
        var parts = rendered.Split(QwenTokenizer.ImagePad);
        if (parts.Length - 1 != grids.Count)
            throw new ArgumentException($"The text holds {parts.Length - 1} image placeholders but {grids.Count} image grids were given.");
        var sb = new StringBuilder(parts[0]);
        for (int k = 0; k < grids.Count; k++)
        {
            AppendPads(sb, grids[k].LlmTokenCount(mergeSize));
            sb.Append(parts[k + 1]);
        }
        return sb.ToString();
    }

    /// <summary>Prompt for generation (expanded image pads). Nothing is a target.</summary>
    public static ChatEncoding EncodePrompt(
        QwenTokenizer tokenizer, string userText, IReadOnlyList<ImageGrid> grids, string? systemPrompt = null, int mergeSize = 2)
    {
        var ids = tokenizer.Encode(BuildPrompt(userText, grids.Select(g => g.LlmTokenCount(mergeSize)), systemPrompt));
        return new ChatEncoding(ids, new bool[ids.Count], ids.Count);
    }

    /// <summary>Prompt + response + <c>&lt;|im_end|&gt;\n</c>. Targets: the response tokens and
    /// <c>&lt;|im_end|&gt;</c>; not the template's trailing newline, never the prompt. Prompt and response are
    /// tokenized separately so no BPE merge crosses the boundary (a response starting with "\n" would otherwise
    /// merge with the template's newline).</summary>
    public static ChatEncoding EncodeConversation(
        QwenTokenizer tokenizer, string userText, IReadOnlyList<ImageGrid> grids, string response,
        string? systemPrompt = null, int mergeSize = 2)
    {
        ArgumentNullException.ThrowIfNull(response);
        var prompt = EncodePrompt(tokenizer, userText, grids, systemPrompt, mergeSize);
        var ids = new List<int>(prompt.InputIds);
        ids.AddRange(tokenizer.Encode(response));
        ids.Add(tokenizer.ImEndId);
        int targetEnd = ids.Count;
        ids.AddRange(tokenizer.Encode("\n"));
        var mask = new bool[ids.Count];
        for (int p = prompt.PromptLength; p < targetEnd; p++)
            mask[p] = true;
        return new ChatEncoding(ids, mask, prompt.PromptLength);
    }

    private static string BuildPrompt(string userText, IEnumerable<int> padsPerImage, string? systemPrompt)
    {
        ArgumentNullException.ThrowIfNull(userText);
        var sb = new StringBuilder();
        sb.Append(QwenTokenizer.ImStart).Append("system\n").Append(systemPrompt ?? DefaultSystemPrompt)
          .Append(QwenTokenizer.ImEnd).Append('\n');
        sb.Append(QwenTokenizer.ImStart).Append("user\n");
        foreach (int pads in padsPerImage)
        {
            sb.Append(QwenTokenizer.VisionStart);
            AppendPads(sb, pads);
            sb.Append(QwenTokenizer.VisionEnd);
        }
        sb.Append(userText).Append(QwenTokenizer.ImEnd).Append('\n');
        sb.Append(QwenTokenizer.ImStart).Append("assistant\n");
        return sb.ToString();
    }

    private static void AppendPads(StringBuilder sb, int count)
    {
        if (count <= 0)
            throw new ArgumentOutOfRangeException(nameof(count), $"An image needs at least one token, got {count}.");
        for (int i = 0; i < count; i++)
            sb.Append(QwenTokenizer.ImagePad);
    }
}
