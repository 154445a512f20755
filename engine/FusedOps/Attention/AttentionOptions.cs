namespace StyleAlign.Engine.FusedOps.Attention;

/// <summary>Scalars of one fused-attention call.</summary>
/// <param name="Causal">Bottom-right aligned causal mask: query i of a segment sees key j when j ≤ i + (Lk − Lq).</param>
/// <param name="Scale">Softmax scale applied to q·k (usually 1/√D).</param>
/// <param name="Deterministic">Backward without atomics, so repeated runs give identical bits (the CPU always is).</param>
public readonly record struct AttentionOptions(bool Causal, double Scale, bool Deterministic = false);
