using System.CommandLine;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.IO;
using StyleAlign.Engine.IO.Config;
using StyleAlign.Engine.Models;
using StyleAlign.Engine.Models.Qwen25VL;

namespace StyleAlign.Cli.Verbs;

/// <summary>engine-cli forward: one forward pass on tensors read from a safetensors file, outputs written to another.</summary>
public sealed class ForwardVerb : IVerb
{
    public Command Build()
    {
        var weights = VerbSupport.Weights();
        var inputs = new Option<string>("--inputs") { Description = "safetensors file with the model inputs", Required = true };
        var output = new Option<string>("--out") { Description = "safetensors file to write the outputs to", Required = true };
        var hidden = new Option<bool>("--hidden-states") { Description = "Also write image_embeds, position_ids and hidden_states.N" };
        var command = new Command("forward", """
            Run one forward pass. Qwen2.5-VL inputs: input_ids (I64 [B,T]), attention_mask (I64 [B,T], optional),
            pixel_values (F32 [N,1176]) and image_grid_thw (I64 [n,3]); output: logits (F32 [B,T,V]).
            CLIP inputs: pixel_values (F32 [B,3,H,W]) and/or input_ids (I64 [B,L]) with attention_mask;
            outputs: image_embeds, text_embeds, logits_per_image.

            Example:
              engine-cli forward --weights tiny-qwen --inputs in.safetensors --out out.safetensors --hidden-states
            """);
        foreach (var o in new Option[] { weights, inputs, output, hidden, VerbSupport.AllowOutsidePaths() }) command.Options.Add(o);
        var placement = new PlacementOptions(command);
        command.SetAction(parse =>
        {
            var weightsPath = parse.GetValue(weights)!;
            var configFolder = Qwen25VLModel.ConfigFolder(weightsPath);
            var modelType = HfConfig.ReadModelType(configFolder);
            if (!ModelForward.Supports(modelType))
                throw new InvalidInputException($"{Path.Combine(Path.GetFullPath(configFolder), "config.json")}: model_type '{modelType}' has no forward pass here (supported: {string.Join(", ", ModelForward.ModelTypes)})");
            var place = placement.Parse(parse);
            using var inputFile = SafetensorsFile.Open(parse.GetValue(inputs)!);
            var forwardInputs = new ForwardInputs(inputFile);
            var result = ModelForward.Run(weightsPath, forwardInputs, new ForwardOptions(place.WeightDType, parse.GetValue(hidden), place.Device));
            foreach (var note in result.Notes) CliErrors.Warn(parse, note);
            foreach (var unused in forwardInputs.Unused) CliErrors.Warn(parse, $"input '{unused}' is not used by {modelType} and was ignored");
            TensorFiles.Write(parse.GetValue(output)!, result.Outputs.Select(kv => (kv.Key, kv.Value)));
            Console.WriteLine($"wrote {string.Join(", ", result.Outputs.Select(kv => $"{kv.Key} {kv.Value.Shape}"))}");
            return ExitCodes.Ok;
        });
        return command;
    }
}
