package triage

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func TestZZLevels(t *testing.T) {
	if os.Getenv("ZZL") == "" {
		t.Skip()
	}
	files, _ := filepath.Glob("/work/shared/loghub/*_2k.log")
	for _, f := range files {
		fh, _ := os.Open(f)
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		n, unmarked := 0, 0
		var samples []string
		for sc.Scan() {
			lvl, end := LineLevel(sc.Bytes())
			n++
			if lvl == LevelError && end == 0 {
				unmarked++
				if len(samples) < 4 {
					samples = append(samples, sc.Text())
				}
			}
		}
		fh.Close()
		fmt.Printf("%s: %d lines, %d unmarked error\n", filepath.Base(f), n, unmarked)
		for _, s := range samples {
			if len(s) > 160 {
				s = s[:160]
			}
			fmt.Println("   ", s)
		}
	}
}
