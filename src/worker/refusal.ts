/**
 * What a record refused by the target says: the cause in an operator's words and the setting
 * that decides it. librdkafka reports a record too large with the same code (10) whether its own
 * producer refused it before sending (message.max.bytes) or the broker did (the topic's
 * max.message.bytes); only a delivery report carries the broker's text.
 */
const MSG_SIZE_TOO_LARGE = 10;

/**
 * `size`: the record's size in bytes (key + value + headers), if known; `deliveryMessage`: the
 * delivery report's error text (absent when produce() itself refused the record).
 */
export function refusalText(code: number, size: number, deliveryMessage?: string): string {
  const bytes = size > 0 ? ` (${size} bytes)` : '';
  if (code === MSG_SIZE_TOO_LARGE && deliveryMessage === undefined) {
    return `the record${bytes} is larger than the target producer's message.max.bytes (librdkafka error ${code}, MSG_SIZE_TOO_LARGE): raise message.max.bytes in the target cluster's producer properties, and the target topic's max.message.bytes if it is smaller`;
  }
  if (code === MSG_SIZE_TOO_LARGE) {
    return `the target broker refused the record${bytes} as too large (${deliveryMessage}): raise the target topic's max.message.bytes (or the broker's message.max.bytes), and the target producer's message.max.bytes if it is smaller`;
  }
  return deliveryMessage === undefined ? `the target producer refused the record${bytes} (librdkafka error ${code})` : `delivery of the record${bytes} failed (librdkafka error ${code}): ${deliveryMessage}`;
}
