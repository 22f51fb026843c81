// Command natslog produces a real NATS server log for the detectors'
// false-positive corpus (scripts/reallogs.sh): it runs an embedded
// nats-server with debug and trace logging and JetStream, connects clients,
// creates a stream, publishes and consumes messages, reconnects, and stops.
// What the server prints (connection lifecycle, protocol traces, JetStream
// assignments, account and storage notices) is the log under test.
//
//	go run ./eval/gen/natslog -log OUT.log -messages 20000 [-payloads FILE]
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

func main() {
	logFile := flag.String("log", "nats.log", "server log file to write")
	messages := flag.Int("messages", 20000, "messages to publish")
	payloads := flag.String("payloads", "", "file whose lines are the message payloads (default: numbered events)")
	flag.Parse()
	if err := run(*logFile, *messages, *payloads); err != nil {
		fmt.Fprintln(os.Stderr, "natslog:", err)
		os.Exit(1)
	}
}

func run(logFile string, messages int, payloadFile string) error {
	dir, err := os.MkdirTemp("", "natslog-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	opts := &server.Options{
		Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: dir,
		Debug: true, Trace: true, Logtime: true, LogFile: logFile, MaxTracedMsgLen: 120,
		ServerName: "corpus",
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return err
	}
	srv.ConfigureLogger()
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		return fmt.Errorf("server not ready")
	}
	defer func() { srv.Shutdown(); srv.WaitForShutdown() }()

	lines := []string{}
	if payloadFile != "" {
		f, err := os.Open(payloadFile)
		if err != nil {
			return err
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() && len(lines) < messages {
			lines = append(lines, sc.Text())
		}
		f.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	nc, err := nats.Connect(srv.ClientURL(), nats.Name("corpus-publisher"))
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	st, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "UPLOADS", Subjects: []string{"uploads.>"}, MaxMsgs: int64(messages)})
	if err != nil {
		return err
	}
	sub, err := nc.Subscribe("events.>", func(m *nats.Msg) {})
	if err != nil {
		return err
	}
	defer sub.Unsubscribe()
	for i := 0; i < messages; i++ {
		payload := "event " + strconv.Itoa(i)
		if len(lines) > 0 {
			payload = lines[i%len(lines)]
		}
		subj := "uploads.tenant" + strconv.Itoa(i%7)
		if i%5 == 0 {
			if err := nc.Publish("events.case."+strconv.Itoa(i%13), []byte(payload)); err != nil {
				return err
			}
			continue
		}
		if _, err := js.Publish(ctx, subj, []byte(payload)); err != nil {
			return err
		}
		if i%1000 == 999 { // a second client comes and goes, as workers do
			c2, err := nats.Connect(srv.ClientURL(), nats.Name("corpus-worker-"+strconv.Itoa(i)))
			if err != nil {
				return err
			}
			c2.Flush()
			c2.Close()
		}
	}
	cons, err := st.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{Durable: "triage", AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		return err
	}
	for got := 0; got < messages/2; {
		batch, err := cons.Fetch(500, jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			return err
		}
		n := 0
		for m := range batch.Messages() {
			m.Ack()
			n++
		}
		if n == 0 {
			break
		}
		got += n
	}
	return nc.Flush()
}
