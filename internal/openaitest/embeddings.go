package openaitest

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"hash/fnv"
	"math"
	"strings"
	"unicode"

	openai "github.com/sashabaranov/go-openai"
)

// Embeddings is the default embeddings behaviour: Embed of every input, with
// usage, in the encoding the request asked for.
func Embeddings() Behaviour {
	return func(c *Call) Response {
		req := c.Embedding
		inputs, err := embeddingInputs(req.Input)
		if err != nil {
			return Error(400, "invalid_request_error", err.Error())(c)
		}
		dims := req.Dimensions
		if dims <= 0 {
			dims = c.Dimensions
		}
		type item struct {
			Object    string `json:"object"`
			Embedding any    `json:"embedding"`
			Index     int    `json:"index"`
		}
		data := make([]item, len(inputs))
		tokens := 0
		for i, in := range inputs {
			vec := Embed(in, dims)
			tokens += Tokens(in)
			var enc any = vec
			if req.EncodingFormat == openai.EmbeddingEncodingFormatBase64 {
				enc = encodeBase64(vec)
			}
			data[i] = item{Object: "embedding", Embedding: enc, Index: i}
		}
		return encode(c, map[string]any{
			"object": "list",
			"data":   data,
			"model":  req.Model,
			"usage":  map[string]int{"prompt_tokens": tokens, "total_tokens": tokens},
		})
	}
}

// Embed is the deterministic vector the server returns for text: the text's
// lower-cased words hashed into dims signed buckets, L2-normalised. Texts
// sharing words get a high cosine similarity, unrelated texts a low one, so
// similarity search can be tested against it meaningfully.
func Embed(text string, dims int) []float32 {
	vec := make([]float32, dims)
	words := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	if len(words) == 0 {
		words = []string{text} // still a unit vector, and still deterministic
	}
	for _, w := range words {
		h := fnv.New64a()
		_, _ = h.Write([]byte(w))
		sum := h.Sum64()
		sign := float32(1)
		if sum>>63 == 1 {
			sign = -1
		}
		vec[sum%uint64(dims)] += sign
	}
	var norm float64
	for _, v := range vec {
		norm += float64(v) * float64(v)
	}
	if norm == 0 { // the words cancelled out exactly
		vec[0], norm = 1, 1
	}
	scale := float32(1 / math.Sqrt(norm))
	for i := range vec {
		vec[i] *= scale
	}
	return vec
}

func encodeBase64(vec []float32) string {
	buf := make([]byte, 4*len(vec))
	for i, v := range vec {
		binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
	}
	return base64.StdEncoding.EncodeToString(buf)
}

// embeddingInputs accepts the text forms of "input": a string or a list of strings.
func embeddingInputs(input any) ([]string, error) {
	switch v := input.(type) {
	case string:
		if v == "" {
			return nil, errors.New("input is empty")
		}
		return []string{v}, nil
	case []any:
		if len(v) == 0 {
			return nil, errors.New("input is an empty list")
		}
		out := make([]string, len(v))
		for i, x := range v {
			s, ok := x.(string)
			if !ok || s == "" {
				return nil, errors.New("input list must hold non-empty strings")
			}
			out[i] = s
		}
		return out, nil
	}
	return nil, errors.New("input must be a string or a list of strings")
}
