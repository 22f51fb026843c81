// Command gendetect writes the labelled detection corpus:
//
//	go run ./eval/gen/cmd/gendetect -out eval/datasets/detection
//
// The output is a pure function of -seed and -cases; the committed corpus is
// the default, and eval/gen/detectset's test checks it byte for byte.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/logtriage/logtriage/eval/gen/detectset"
)

func main() {
	opt := detectset.DefaultOptions
	out := flag.String("out", "eval/datasets/detection", "dataset directory")
	flag.Uint64Var(&opt.Seed, "seed", opt.Seed, "random seed")
	flag.IntVar(&opt.Cases, "cases", opt.Cases, "number of cases")
	flag.Parse()
	files, err := detectset.Generate(opt)
	if err == nil {
		// Stale logs from a larger run would linger and confuse readers.
		err = os.RemoveAll(filepath.Join(*out, "logs"))
	}
	if err == nil {
		err = detectset.Write(*out, files)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gendetect:", err)
		os.Exit(2)
	}
	fmt.Printf("gendetect: wrote %d cases to %s\n", len(files)-1, *out)
}
