namespace StyleAlign.Engine.IO.Config;

/// <summary>A config.json that is unreadable, lacks required keys, or holds values of the wrong kind.</summary>
public sealed class HfConfigException : IOException
{
    public HfConfigException(string message) : base(message) { }

    public HfConfigException(string message, Exception inner) : base(message, inner) { }
}
