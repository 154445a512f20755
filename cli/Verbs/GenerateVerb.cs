using System.CommandLine;
using StyleAlign.Engine.Models.Qwen25VL;
using StyleAlign.Engine.Vision;
using StyleAlign.Trainers.Data;

namespace StyleAlign.Cli.Verbs;

/// <summary>engine-cli generate --weights W --image x.png --prompt "…": caption an image.</summary>
public sealed class GenerateVerb : IVerb
{
    public Command Build()
    {
        var weights = VerbSupport.Weights();
        var image = new Option<string[]>("--image") { Description = "Image file(s) (PNG or JPEG); several make a batch", Required = true, AllowMultipleArgumentsPerToken = true }.NoFlagValues();
        var prompt = new Option<string>("--prompt") { Description = $"The user's instruction (at most {DataLimits.MaxTextCharacters} characters)", DefaultValueFactory = _ => "Describe this image." }
            .Require(p => p is { Length: > 0 and <= DataLimits.MaxTextCharacters }, $"1 to {DataLimits.MaxTextCharacters} characters");
        var maxNew = new Option<int>("--max-new-tokens") { DefaultValueFactory = _ => 48, Description = $"Stop after this many new tokens (at most {GenerationLimits.MaxNewTokens}, and what the model's max_position_embeddings leaves after the prompt)" }
            .Between(1, GenerationLimits.MaxNewTokens);
        var temperature = new Option<double>("--temperature") { DefaultValueFactory = _ => 0.0, Description = "0 = greedy; otherwise sampling temperature" }.NonNegative();
        var topP = new Option<double>("--top-p") { DefaultValueFactory = _ => 1.0, Description = "Nucleus sampling mass" }.AboveUpTo(0, 1);
        var seed = new Option<ulong>("--seed") { DefaultValueFactory = _ => 0UL, Description = "Sampling seed" }.AnyValue();
        var command = new Command("generate", "Caption images with a Qwen2.5-VL checkpoint (KV cache; greedy or temperature/top-p).\n\nExample:\n  engine-cli generate --weights tiny-qwen --image cat.png --prompt \"Describe this image in a humorous way.\"");
        foreach (var o in new Option[] { weights, image, prompt, maxNew, temperature, topP, seed, VerbSupport.AllowOutsidePaths() }) command.Options.Add(o);
        var placement = new PlacementOptions(command);
        command.SetAction(parse =>
        {
            var topPValue = parse.GetValue(topP);
            var session = CaptionSession.Load(parse.GetValue(weights)!, placement.Parse(parse));
            var text = parse.GetValue(prompt)!;
            var paths = parse.GetValue(image)!;
            var requests = paths.Select(path => new CaptionRequest(session.Processor.Process(ImageDecoder.Load(path)), text)).ToList();
            var maxPositions = session.Model.Config.Text.MaxPositionEmbeddings;
            for (var i = 0; i < requests.Count; i++)
            {
                var promptTokens = session.PromptIds(requests[i]).Length;
                if (promptTokens + parse.GetValue(maxNew) > maxPositions)
                    throw new UsageException($"--max-new-tokens {parse.GetValue(maxNew)}: the prompt with image '{paths[i]}' takes {promptTokens} tokens and the model's max_position_embeddings is {maxPositions}, so at most {Math.Max(0, maxPositions - promptTokens)} new tokens fit");
            }
            var options = new GenerationOptions
            {
                MaxNewTokens = parse.GetValue(maxNew),
                Temperature = parse.GetValue(temperature),
                TopP = topPValue,
                Seed = parse.GetValue(seed),
            };
            foreach (var caption in session.Caption(requests, options)) Console.WriteLine(caption);
            return ExitCodes.Ok;
        });
        return command;
    }
}
