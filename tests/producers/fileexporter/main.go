// Command fileexporter writes OTLP/JSON trace documents (one per line, as
// corpus/traces/*.jsonl hold them) through the OpenTelemetry Collector's real
// file exporter, so that cpl's protobuf reader is tested against what the
// collector writes, not against our reading of its source.
//
//	go run . -format proto -compression zstd -in ../../../corpus/traces/shop.jsonl -out shop.pb.zst
package main

import (
	"bufio"
	"context"
	"flag"
	"log"
	"os"

	"github.com/open-telemetry/opentelemetry-collector-contrib/exporter/fileexporter"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/featuregate"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

func main() {
	in := flag.String("in", "", "OTLP/JSON Lines input")
	out := flag.String("out", "", "output file")
	format := flag.String("format", "proto", "fileexporter format: json or proto")
	compression := flag.String("compression", "", "fileexporter compression: zstd or empty")
	native := flag.Bool("native-compression", false, "enable the exporter.file.nativeCompression feature gate (one zstd stream per file)")
	flag.Parse()
	if err := featuregate.GlobalRegistry().Set("exporter.file.nativeCompression", *native); err != nil {
		log.Fatal(err)
	}

	factory := fileexporter.NewFactory()
	cfg := factory.CreateDefaultConfig().(*fileexporter.Config)
	cfg.Path = *out
	cfg.FormatType = *format
	cfg.Compression = *compression

	ctx := context.Background()
	exp, err := factory.CreateTraces(ctx, exportertest.NewNopSettings(factory.Type()), cfg)
	if err != nil {
		log.Fatal(err)
	}
	if err := exp.Start(ctx, componenttest.NewNopHost()); err != nil {
		log.Fatal(err)
	}
	file, err := os.Open(*in)
	if err != nil {
		log.Fatal(err)
	}
	defer file.Close()
	scanner := bufio.NewScanner(file)
	scanner.Buffer(make([]byte, 1<<20), 256<<20)
	var unmarshaler ptrace.JSONUnmarshaler
	for scanner.Scan() {
		if len(scanner.Bytes()) == 0 {
			continue
		}
		traces, err := unmarshaler.UnmarshalTraces(scanner.Bytes())
		if err != nil {
			log.Fatal(err)
		}
		if err := exp.ConsumeTraces(ctx, traces); err != nil {
			log.Fatal(err)
		}
	}
	if err := scanner.Err(); err != nil {
		log.Fatal(err)
	}
	if err := exp.Shutdown(ctx); err != nil {
		log.Fatal(err)
	}
}
