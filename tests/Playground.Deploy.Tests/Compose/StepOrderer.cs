using Xunit.Abstractions;
using Xunit.Sdk;

namespace Playground.Deploy.Tests.Compose;

/// <summary>The place of a test in a class whose tests share one stack, down being the last.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class StepAttribute(int number) : Attribute
{
    public int Number { get; } = number;
}

/// <summary>Runs a class's tests by their <see cref="StepAttribute"/>: xunit's default order is unspecified.</summary>
public sealed class StepOrderer : ITestCaseOrderer
{
    public const string TypeName = "Playground.Deploy.Tests.Compose.StepOrderer";

    public const string AssemblyName = "Playground.Deploy.Tests";

    public IEnumerable<TTestCase> OrderTestCases<TTestCase>(IEnumerable<TTestCase> testCases)
        where TTestCase : ITestCase =>
        testCases.OrderBy(t => Step(t));

    private static int Step(ITestCase testCase) =>
        testCase.TestMethod.Method.GetCustomAttributes(typeof(StepAttribute).AssemblyQualifiedName)
            .Select(a => a.GetConstructorArguments().Cast<int>().Single())
            .DefaultIfEmpty(int.MaxValue)
            .First();
}
