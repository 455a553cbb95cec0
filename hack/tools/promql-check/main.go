// Command promql-check parses PromQL expressions with Prometheus's own parser
// (github.com/prometheus/prometheus/promql/parser, the version pinned in go.mod) and names the metrics each
// one selects.
//
//	promql-check < exprs.json
//	promql-check exprs.json [more.json ...]
//
// Input: a JSON array of {"id": "...", "expr": "..."}. Output (stdout): a JSON array of
// {"id": "...", "error": "..." (empty when it parses), "metrics": ["metric names selected", ...]}.
// Exit status 1 when an expression does not parse, 2 on bad input.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

type input struct {
	ID   string `json:"id"`
	Expr string `json:"expr"`
}

type result struct {
	ID      string   `json:"id"`
	Error   string   `json:"error"`
	Metrics []string `json:"metrics"`
}

func read(r io.Reader, name string) ([]input, error) {
	var items []input
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&items); err != nil {
		return nil, fmt.Errorf("%s: want a JSON array of {\"id\", \"expr\"}: %w", name, err)
	}
	return items, nil
}

// metrics returns the metric names the expression selects (by name or by an equality __name__ matcher).
func metrics(expr parser.Expr) []string {
	seen := map[string]bool{}
	parser.Inspect(expr, func(node parser.Node, _ []parser.Node) error {
		vs, ok := node.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		if vs.Name != "" {
			seen[vs.Name] = true
		}
		for _, m := range vs.LabelMatchers {
			if m.Name == labels.MetricName && m.Type == labels.MatchEqual {
				seen[m.Value] = true
			}
		}
		return nil
	})
	out := make([]string, 0, len(seen))
	for name := range seen {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

func main() {
	var items []input
	if len(os.Args) < 2 {
		got, err := read(os.Stdin, "stdin")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		items = got
	}
	for _, path := range os.Args[1:] {
		f, err := os.Open(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		got, err := read(f, path)
		f.Close()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		items = append(items, got...)
	}
	p := parser.NewParser(parser.Options{})
	results := make([]result, 0, len(items))
	failed := false
	for _, item := range items {
		res := result{ID: item.ID, Metrics: []string{}}
		expr, err := p.ParseExpr(item.Expr)
		if err != nil {
			res.Error = err.Error()
			failed = true
		} else {
			res.Metrics = metrics(expr)
		}
		results = append(results, res)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(results); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if failed {
		os.Exit(1)
	}
}
