using System.Diagnostics;
using StyleAlign.Engine.IO;

namespace StyleAlign.Tests.Fuzz;

/// <summary>
/// Runs one case on its own thread with a time bound and measures what that thread allocated. A case fails on a
/// hang, an exception that is not the engine's bad-input type (what a user would see as a stack trace), a refusal
/// whose message names neither the file nor the key, an invalid input accepted, a valid input refused, or an
/// allocation above the bound.
/// </summary>
internal static class FuzzRunner
{
    public static FuzzResult Run(string kind, int index, FuzzCase fuzzCase, TimeSpan timeout, long allocationLimit)
    {
        Exception? error = null;
        VerbOutcome? outcome = null;
        long allocated = 0;
        var clock = Stopwatch.StartNew();
        var thread = new Thread(() =>
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                if (fuzzCase.Verb is { } verb)
                {
                    outcome = VerbOracle.Run(verb.Args);
                    if (outcome.Code == 0) fuzzCase.CheckAccepted?.Invoke();
                }
                else
                {
                    fuzzCase.Run();
                    fuzzCase.CheckAccepted?.Invoke();
                }
            }
            catch (Exception e)
            {
                error = e;
            }
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        }) { IsBackground = true, Name = $"fuzz {kind} #{index}" };
        thread.Start();
        bool finished = thread.Join(timeout);
        clock.Stop();
        FuzzResult Result(string? failure) => new(kind, index, fuzzCase.Mutation, error is not null || outcome is { Code: not 0 }, allocated, clock.Elapsed, failure);

        if (!finished) return Result($"hang: still running after {timeout.TotalSeconds:0} s");
        if (fuzzCase.Verb is { } command && error is null && outcome is not null)
        {
            string? failure = VerbOracle.Judge(outcome, fuzzCase.Expect, fuzzCase.MustName, command.Usage, command.Flag);
            if (failure is null && allocated > allocationLimit)
                failure = $"allocated {InputFiles.Size(allocated)}, above the {InputFiles.Size(allocationLimit)} bound";
            return Result(failure is null ? null : $"{failure} [engine-cli {string.Join(' ', command.Args.Select(Quote))}]");
        }
        if (error is InvariantBrokenException broken) return Result($"invalid input accepted: {broken.Message}");
        if (error is not null and not InvalidInputException)
            return Result($"stack trace: {error.GetType().FullName}: {error.Message}{Environment.NewLine}{FirstFrames(error)}");
        if (allocated > allocationLimit)
            return Result($"allocated {InputFiles.Size(allocated)}, above the {InputFiles.Size(allocationLimit)} bound");
        if (error is InvalidInputException refused)
        {
            if (fuzzCase.Expect == Expect.Accept) return Result($"valid input refused: {refused.Message}");
            var unnamed = fuzzCase.MustName.Where(name => !refused.Message.Contains(name, StringComparison.Ordinal)).ToList();
            if (unnamed.Count > 0) return Result($"message does not name {string.Join(", ", unnamed.Select(n => $"'{n}'"))}: {refused.Message}");
            return Result(null);
        }
        return Result(fuzzCase.Expect == Expect.Refuse ? "invalid input accepted" : null);
    }

    private static string Quote(string arg) => arg.Length > 0 && !arg.Contains(' ') ? arg : $"'{arg}'";

    private static string FirstFrames(Exception error) =>
        string.Join(Environment.NewLine, (error.StackTrace ?? "").Split(Environment.NewLine).Take(6));
}

/// <summary>Thrown by an acceptance oracle when an accepted input broke an invariant the input layer promises.</summary>
internal sealed class InvariantBrokenException(string message) : Exception(message);
