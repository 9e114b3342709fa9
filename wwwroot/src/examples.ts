// The Examples menu. Each one runs as-is in the sandbox; the browser tests run them all.

export interface Example {
  id: string;
  title: string;
  files: { name: string; content: string }[];
}

const hello = `package main

import "fmt"

func main() {
	fmt.Println("Hello, 世界")
}
`;

const stdin = `package main

import (
	"bufio"
	"fmt"
	"os"
)

// Type in the output pane: Enter sends a line, Ctrl+D ends the input.
func main() {
	fmt.Print("What is your name? ")
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		fmt.Printf("Hello, %s!\\n", in.Text())
		fmt.Print("Another name? ")
	}
	fmt.Println("\\nBye.")
}
`;

const goroutines = `package main

import (
	"fmt"
	"sync"
)

func main() {
	var wg sync.WaitGroup
	results := make([]int, 10)
	for i := range results {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			results[i] = i * i
		}(i)
	}
	wg.Wait()
	fmt.Println("squares:", results)

	ch := make(chan string)
	go func() {
		for _, w := range []string{"ping", "pong", "ping"} {
			ch <- w
		}
		close(ch)
	}()
	for w := range ch {
		fmt.Println(w)
	}
}
`;

const clock = `package main

import (
	"fmt"
	"time"
)

// Live mode uses the real clock; playback mode replays with the recorded delays.
func main() {
	start := time.Now()
	ticker := time.NewTicker(300 * time.Millisecond)
	defer ticker.Stop()
	for i := 1; i <= 5; i++ {
		<-ticker.C
		fmt.Printf("tick %d after %v\\n", i, time.Since(start).Round(100*time.Millisecond))
	}
	fmt.Println("done")
}
`;

const tests = `package main

import "testing"

func Reverse(s string) string {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}

// A program without main runs its tests.
func TestReverse(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"hello", "olleh"},
		{"世界", "界世"},
		{"", ""},
	} {
		if got := Reverse(c.in); got != c.want {
			t.Errorf("Reverse(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
`;

const http = `package main

import (
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
)

// The sandbox has no network, but loopback works: serve and call yourself.
func main() {
	http.HandleFunc("/hello", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "Hello from %s", r.URL.Path)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go http.Serve(ln, nil)

	resp, err := http.Get("http://" + ln.Addr().String() + "/hello")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.Status, string(body))
}
`;

const multiMain = `package main

import (
	"fmt"

	"play.ground/greet"
)

func main() {
	fmt.Println(greet.Hello("gopher"))
	fmt.Println(shout("files in one program"))
}
`;

const multiUtil = `package main

import "strings"

func shout(s string) string {
	return strings.ToUpper(s) + "!"
}
`;

const multiMod = `module play.ground

go 1.19
`;

const multiGreet = `package greet

// Hello lives in its own package, imported by its module path.
func Hello(name string) string {
	return "Hello, " + name
}
`;

export const examples: Example[] = [
  { id: "hello", title: "Hello, world", files: [{ name: "prog.go", content: hello }] },
  { id: "stdin", title: "Reading stdin", files: [{ name: "prog.go", content: stdin }] },
  { id: "goroutines", title: "Goroutines and channels", files: [{ name: "prog.go", content: goroutines }] },
  { id: "time", title: "Time and tickers", files: [{ name: "prog.go", content: clock }] },
  { id: "tests", title: "Tests", files: [{ name: "prog.go", content: tests }] },
  { id: "http", title: "HTTP server on localhost", files: [{ name: "prog.go", content: http }] },
  {
    id: "multi",
    title: "Multiple files and packages",
    files: [
      { name: "prog.go", content: multiMain },
      { name: "util.go", content: multiUtil },
      { name: "go.mod", content: multiMod },
      { name: "greet/greet.go", content: multiGreet },
    ],
  },
];

export const defaultFiles = examples[0].files;
