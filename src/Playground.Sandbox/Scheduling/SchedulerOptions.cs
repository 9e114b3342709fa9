using Microsoft.Extensions.Options;

namespace Playground.Sandbox.Scheduling;

/// <summary>Run slots and the waiting queue, bound from the <c>Scheduler</c> section.</summary>
public sealed class SchedulerOptions
{
    public const string SectionName = "Scheduler";

    /// <summary>Runs (build + run) at the same time.</summary>
    public int Slots { get; set; } = Environment.ProcessorCount;

    /// <summary>Runs waiting for a slot, over all clients; beyond it requests are rejected with a retry-after.</summary>
    public int QueueLimit { get; set; } = 100;

    /// <summary>Runs one client may have waiting; beyond it that client's requests are rejected.</summary>
    public int QueueLimitPerClient { get; set; } = 10;

    /// <summary>
    /// Format and vet jobs (<c>/fmt</c>, <c>/vet</c>) at the same time, beside the run slots; they
    /// wait in a queue of their own with the same limits as runs.
    /// </summary>
    public int ToolSlots { get; set; } = 2;
}

internal sealed class SchedulerOptionsValidator : IValidateOptions<SchedulerOptions>
{
    public ValidateOptionsResult Validate(string? name, SchedulerOptions o)
    {
        var errors = new List<string>();
        if (o.Slots < 1)
        {
            errors.Add("Scheduler:Slots must be at least 1.");
        }

        if (o.ToolSlots < 1)
        {
            errors.Add("Scheduler:ToolSlots must be at least 1.");
        }

        if (o.QueueLimit < 0)
        {
            errors.Add("Scheduler:QueueLimit must not be negative.");
        }

        if (o.QueueLimitPerClient < 1 || o.QueueLimitPerClient > Math.Max(1, o.QueueLimit))
        {
            errors.Add("Scheduler:QueueLimitPerClient must be between 1 and Scheduler:QueueLimit.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
