namespace StyleAlign.Engine.Core; internal static class Placeholder { }
