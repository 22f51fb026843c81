package drain

// GroupingAccuracy is the Loghub benchmark's metric (Zhu et al., "Tools and
// Benchmarks for Automated Log Parsing", ICSE-SEIP 2019): the fraction of
// lines whose predicted group holds exactly the lines of their ground-truth
// group. pred and truth label the same lines, one group label per line.
func GroupingAccuracy(pred, truth []string) float64 {
	if len(pred) != len(truth) || len(pred) == 0 {
		return 0
	}
	truthSize := map[string]int{}
	for _, t := range truth {
		truthSize[t]++
	}
	// For each predicted group: the truth labels of its lines.
	groups := map[string]map[string]int{}
	size := map[string]int{}
	for i, p := range pred {
		if groups[p] == nil {
			groups[p] = map[string]int{}
		}
		groups[p][truth[i]]++
		size[p]++
	}
	correct := 0
	for p, labels := range groups {
		if len(labels) != 1 {
			continue
		}
		for t := range labels {
			if truthSize[t] == size[p] {
				correct += size[p]
			}
		}
	}
	return float64(correct) / float64(len(pred))
}
