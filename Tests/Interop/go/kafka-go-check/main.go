// kafka-go-check: Debian's kafka-go (0.2.1) against a broker: CreateTopics v0 on a direct connection, a Writer
// (Produce v2, message format v1) and a group Reader (JoinGroup v1, SyncGroup v0, Fetch v2, OffsetCommit v2).
// Prints the records the group read as JSON for the test to check.
//
// Usage: kafka-go-check <bootstrap> <topic> <partitions> <count> <group>
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"time"

	kafka "github.com/segmentio/kafka-go"
)

type record struct {
	Partition int    `json:"partition"`
	Offset    int64  `json:"offset"`
	Key       string `json:"key"`
	Value     string `json:"value"`
}

func fail(what string, err error) {
	fmt.Fprintf(os.Stderr, "%s: %v\n", what, err)
	os.Exit(1)
}

func main() {
	bootstrap, topic, group := os.Args[1], os.Args[2], os.Args[5]
	partitions, _ := strconv.Atoi(os.Args[3])
	count, _ := strconv.Atoi(os.Args[4])

	connection, err := kafka.Dial("tcp", bootstrap)
	if err != nil {
		fail("dial", err)
	}
	err = connection.CreateTopics(kafka.TopicConfig{Topic: topic, NumPartitions: partitions, ReplicationFactor: 1})
	if err != nil {
		fail("create topics", err)
	}
	connection.Close()
	time.Sleep(time.Second) // the new partitions' leaders

	writer := kafka.NewWriter(kafka.WriterConfig{Brokers: []string{bootstrap}, Topic: topic,
		Balancer: &kafka.Hash{}, BatchSize: 10})
	var messages []kafka.Message
	for i := 0; i < count; i++ {
		messages = append(messages, kafka.Message{Key: []byte(fmt.Sprintf("k%d", i)), Value: []byte(fmt.Sprintf("v%d", i))})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := writer.WriteMessages(ctx, messages...); err != nil {
		fail("write", err)
	}
	writer.Close()

	reader := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{bootstrap}, Topic: topic, GroupID: group,
		MaxWait: 500 * time.Millisecond})
	var read []record
	for len(read) < count {
		message, err := reader.ReadMessage(ctx)
		if err != nil {
			fail(fmt.Sprintf("read after %d messages", len(read)), err)
		}
		read = append(read, record{message.Partition, message.Offset, string(message.Key), string(message.Value)})
	}
	reader.Close()
	encoded, _ := json.Marshal(map[string]interface{}{"read": read})
	fmt.Println(string(encoded))
}
