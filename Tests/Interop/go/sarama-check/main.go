// sarama-check: Debian's Sarama (1.22) against a broker, with its default protocol version (Kafka 0.8.2: Metadata
// v0, Produce v0 with message format v0, Fetch v0, OffsetCommit v1, OffsetFetch v1), then a consumer group with
// Version V0_10_2_0 (JoinGroup v1, Fetch v3 with format v1). Prints one JSON object for the test to check.
//
// Usage: sarama-check <bootstrap> <topic> <partitions> <count> <group>
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/Shopify/sarama"
)

type record struct {
	Partition int32  `json:"partition"`
	Offset    int64  `json:"offset"`
	Key       string `json:"key"`
	Value     string `json:"value"`
}

func fail(what string, err error) {
	fmt.Fprintf(os.Stderr, "%s: %v\n", what, err)
	os.Exit(1)
}

type groupHandler struct {
	mutex   sync.Mutex
	records []record
	want    int
	done    chan struct{}
}

func (h *groupHandler) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (h *groupHandler) Cleanup(sarama.ConsumerGroupSession) error { return nil }
func (h *groupHandler) ConsumeClaim(session sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for message := range claim.Messages() {
		session.MarkMessage(message, "")
		h.mutex.Lock()
		h.records = append(h.records, record{message.Partition, message.Offset, string(message.Key), string(message.Value)})
		if len(h.records) == h.want {
			close(h.done)
		}
		h.mutex.Unlock()
	}
	return nil
}

func main() {
	brokers := []string{os.Args[1]}
	topic := os.Args[2]
	partitions, _ := strconv.Atoi(os.Args[3])
	count, _ := strconv.Atoi(os.Args[4])
	group := os.Args[5]
	result := map[string]interface{}{}

	config := sarama.NewConfig() // Version: sarama.V0_8_2_0, the default
	config.Producer.Return.Successes = true
	config.Producer.RequiredAcks = sarama.WaitForAll
	config.Producer.Partitioner = sarama.NewManualPartitioner
	config.Consumer.Return.Errors = true
	var produced []record
	for half, codec := range []sarama.CompressionCodec{sarama.CompressionNone, sarama.CompressionGZIP} {
		config.Producer.Compression = codec
		producer, err := sarama.NewSyncProducer(brokers, config)
		if err != nil {
			fail("producer", err)
		}
		for i := half * count / 2; i < (half+1)*count/2; i++ {
			key, value := fmt.Sprintf("k%d", i), fmt.Sprintf("v%d", i)
			partition, offset, err := producer.SendMessage(&sarama.ProducerMessage{Topic: topic,
				Partition: int32(i % partitions), Key: sarama.StringEncoder(key), Value: sarama.StringEncoder(value)})
			if err != nil {
				fail("produce", err)
			}
			produced = append(produced, record{partition, offset, key, value})
		}
		producer.Close()
	}
	result["produced"] = produced

	consumer, err := sarama.NewConsumer(brokers, config)
	if err != nil {
		fail("consumer", err)
	}
	var consumed []record
	for partition := 0; partition < partitions; partition++ {
		partitionConsumer, err := consumer.ConsumePartition(topic, int32(partition), sarama.OffsetOldest)
		if err != nil {
			fail("consume partition", err)
		}
		for n := 0; n < count/partitions; n++ {
			select {
			case message := <-partitionConsumer.Messages():
				consumed = append(consumed, record{message.Partition, message.Offset, string(message.Key), string(message.Value)})
			case err := <-partitionConsumer.Errors():
				fail("consume", err)
			case <-time.After(20 * time.Second):
				fail("consume", fmt.Errorf("partition %d: %d messages", partition, n))
			}
		}
		partitionConsumer.Close()
	}
	consumer.Close()
	result["consumed"] = consumed

	// Offsets of the group "<group>-offsets" without membership (generation -1), committed and read back.
	client, err := sarama.NewClient(brokers, config)
	if err != nil {
		fail("client", err)
	}
	manager, err := sarama.NewOffsetManagerFromClient(group+"-offsets", client)
	if err != nil {
		fail("offset manager", err)
	}
	for partition := 0; partition < partitions; partition++ {
		partitionManager, err := manager.ManagePartition(topic, int32(partition))
		if err != nil {
			fail("manage partition", err)
		}
		partitionManager.MarkOffset(int64(10+partition), "")
		partitionManager.Close()
	}
	manager.Close()
	manager, _ = sarama.NewOffsetManagerFromClient(group+"-offsets", client)
	committed := map[string]int64{}
	for partition := 0; partition < partitions; partition++ {
		partitionManager, _ := manager.ManagePartition(topic, int32(partition))
		offset, _ := partitionManager.NextOffset()
		committed[strconv.Itoa(partition)] = offset
		partitionManager.Close()
	}
	manager.Close()
	client.Close()
	result["committed"] = committed

	config.Version = sarama.V0_10_2_0
	config.Consumer.Offsets.Initial = sarama.OffsetOldest
	consumerGroup, err := sarama.NewConsumerGroup(brokers, group, config)
	if err != nil {
		fail("consumer group", err)
	}
	handler := &groupHandler{want: count, done: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for ctx.Err() == nil {
			if err := consumerGroup.Consume(ctx, []string{topic}, handler); err != nil && ctx.Err() == nil {
				fmt.Fprintf(os.Stderr, "group consume: %v\n", err)
				time.Sleep(500 * time.Millisecond)
			}
		}
	}()
	select {
	case <-handler.done:
	case <-time.After(60 * time.Second):
		fail("group", fmt.Errorf("%d of %d messages", len(handler.records), count))
	}
	cancel()
	consumerGroup.Close()
	result["group"] = handler.records

	encoded, _ := json.Marshal(result)
	fmt.Println(string(encoded))
}
