using System.CommandLine;
using StyleAlign.Engine.Models.Qwen25VL;
using StyleAlign.Engine.Vision;

namespace StyleAlign.Cli.Verbs;

/// <summary>engine-cli generate --weights W --image x.png --prompt "…": caption an image.</summary>
public sealed class GenerateVerb : IVerb
{
    public Command Build()
    {
        var weights = VerbSupport.Weights();
        var image = new Option<string[]>("--image") { Description = "Image file(s) (PNG or JPEG); several make a batch", Required = true, AllowMultipleArgumentsPerToken = true };
        var prompt = new Option<string>("--prompt") { Description = "The user's instruction", DefaultValueFactory = _ => "Describe this image." };
        var maxNew = new Option<int>("--max-new-tokens") { DefaultValueFactory = _ => 48, Description = "Stop after this many new tokens" };
        var temperature = new Option<double>("--temperature") { DefaultValueFactory = _ => 0.0, Description = "0 = greedy; otherwise sampling temperature" };
        var topP = new Option<double>("--top-p") { DefaultValueFactory = _ => 1.0, Description = "Nucleus sampling mass" };
        var seed = new Option<ulong>("--seed") { DefaultValueFactory = _ => 0UL, Description = "Sampling seed" };
        var command = new Command("generate", "Caption images with a Qwen2.5-VL checkpoint (KV cache; greedy or temperature/top-p).\n\nExample:\n  engine-cli generate --weights tiny-qwen --image cat.png --prompt \"Describe this image in a humorous way.\"");
        foreach (var o in new Option[] { weights, image, prompt, maxNew, temperature, topP, seed }) command.Options.Add(o);
        var placement = new PlacementOptions(command);
        command.SetAction(parse =>
        {
            if (parse.GetValue(maxNew) < 1) throw new UsageException("--max-new-tokens must be at least 1");
            var topPValue = parse.GetValue(topP);
            if (topPValue is <= 0 or > 1) throw new UsageException("--top-p must be in (0, 1]");
            var session = CaptionSession.Load(parse.GetValue(weights)!, placement.Parse(parse));
            var text = parse.GetValue(prompt)!;
            var requests = parse.GetValue(image)!.Select(path => (ImageDecoder.Load(path), text)).ToList();
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
