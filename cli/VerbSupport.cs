using System.CommandLine;

namespace StyleAlign.Cli;

/// <summary>Options several verbs share.</summary>
public static class VerbSupport
{
    public static Option<string> Weights(bool required = true) => new("--weights")
    {
        Description = "Checkpoint folder (config.json + *.safetensors) or one .safetensors file with config.json beside it",
        Required = required,
    };

    public static Option<string> DeviceOption() => new("--device")
    {
        Description = "cpu or cuda:N",
        DefaultValueFactory = _ => "cpu",
    };
}
