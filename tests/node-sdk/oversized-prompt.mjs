// Sends a chat completion whose prompt is larger than the gateway accepts, TRIES times, with the official
// OpenAI Node SDK and no retries, and prints one JSON line: how many tries saw each outcome.
// Usage: node oversized-prompt.mjs <base URL, e.g. http://127.0.0.1:5000/v1> <key> <prompt bytes> <tries>
import OpenAI from "openai";

const [baseURL, apiKey, promptBytes, tries] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 60_000 });
const prompt = "a".repeat(Number(promptBytes));
const outcomes = {};

for (let i = 0; i < Number(tries); i++) {
  let outcome;
  try {
    await client.chat.completions.create({ model: "gpt-test", messages: [{ role: "user", content: prompt }] });
    outcome = "ok";
  } catch (error) {
    // An APIError with a status is an answer the SDK could read; one without (APIConnectionError) is "Connection error.".
    outcome = error instanceof OpenAI.APIError && error.status !== undefined
      ? `${error.status} ${error.code ?? error.error?.code ?? ""}`.trim()
      : `${error.constructor.name}: ${error.message}`;
  }
  outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
}
console.log(JSON.stringify(outcomes));
