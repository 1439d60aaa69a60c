/** Reads `count` events from an SSE (blank-line separated) or NDJSON response body, then cancels it. */
export async function readEvents(res: Response, count: number, sse: boolean): Promise<{ id?: string; data: any }[]> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  const events: { id?: string; data: any }[] = [];
  while (events.length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    buffered += decoder.decode(value, { stream: true });
    const separator = sse ? "\n\n" : "\n";
    let at;
    while ((at = buffered.indexOf(separator)) >= 0) {
      const chunk = buffered.slice(0, at);
      buffered = buffered.slice(at + separator.length);
      if (sse) {
        const data = /^data: (.*)$/m.exec(chunk)?.[1];
        if (data) events.push({ id: /^id: (.*)$/m.exec(chunk)?.[1], data: JSON.parse(data) });
      } else if (chunk.trim()) events.push({ data: JSON.parse(chunk) });
    }
  }
  await reader.cancel();
  return events;
}
