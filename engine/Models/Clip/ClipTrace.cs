using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.Models.Clip;

/// <summary>Intermediate tensors of a CLIP forward pass, filled when a trace is passed in (golden tests, debugging).</summary>
public sealed class ClipTrace
{
    /// <summary>[B, L, C_t]: the embeddings, then the output of every encoder layer (before final_layer_norm).</summary>
    public List<Tensor> TextHiddenStates { get; } = [];

    /// <summary>[B, L, C_t] final_layer_norm of the last hidden state.</summary>
    public Tensor? TextLastHiddenState { get; set; }

    /// <summary>[B] the pooled (EOS) position of every row.</summary>
    public int[]? EosPositions { get; set; }

    /// <summary>[B, C_t] the last hidden state at the EOS position.</summary>
    public Tensor? TextPooledOutput { get; set; }

    /// <summary>[B, proj] text features before L2 normalization.</summary>
    public Tensor? TextEmbedsUnnormalized { get; set; }

    /// <summary>[B, P+1, C_v]: pre_layrnorm(embeddings), then the output of every encoder layer.</summary>
    public List<Tensor> VisionHiddenStates { get; } = [];

    /// <summary>[B, C_v] post_layernorm of the class token.</summary>
    public Tensor? VisionPooledOutput { get; set; }

    /// <summary>[B, proj] image features before L2 normalization.</summary>
    public Tensor? ImageEmbedsUnnormalized { get; set; }
}
