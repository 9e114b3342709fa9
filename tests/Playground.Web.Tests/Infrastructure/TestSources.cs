namespace Playground.Web.Tests.Infrastructure;

/// <summary>Test programs (no main: their tests run) for how failures are counted.</summary>
internal static class TestSources
{
    /// <summary>A passing test that prints lines like the testing package's failure reports, on stdout and stderr, at the start of a line and within one.</summary>
    public const string PrintsLookalikes = """
        package main

        import (
        	"fmt"
        	"os"
        	"testing"
        )

        func TestPrintsLookalikes(t *testing.T) {
        	fmt.Println("--- FAIL: TestPrintsLookalikes (0.00s)")
        	fmt.Println("said --- FAIL: here")
        	fmt.Fprintln(os.Stderr, "--- FAIL: TestPrintsLookalikes (0.00s)")
        	fmt.Fprintln(os.Stderr, "said --- FAIL: here")
        }
        """;

    /// <summary>TestA fails, TestB fails through its subtest, TestC passes and prints lookalikes.</summary>
    public const string FailsTwice = """
        package main

        import (
        	"fmt"
        	"os"
        	"testing"
        )

        func TestA(t *testing.T) { t.Error("no") }

        func TestB(t *testing.T) {
        	t.Run("ok", func(t *testing.T) {})
        	t.Run("sub", func(t *testing.T) { t.Error("no") })
        }

        func TestC(t *testing.T) {
        	fmt.Println("said --- FAIL: here")
        	fmt.Fprintln(os.Stderr, "--- FAIL: TestC (0.00s)")
        }
        """;
}
