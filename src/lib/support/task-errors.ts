/** One line per task that failed, was rejected or carries an error, newest first: what to read first. */
export function parseTaskErrors(inspectJson: string): string {
  let tasks: RawTask[];
  try {
    tasks = JSON.parse(inspectJson) as RawTask[];
  } catch {
    return '(the tasks could not be read as JSON)\n';
  }
  const lines = tasks
    .filter((t) => Boolean(t.Status?.Err) || ['failed', 'rejected'].includes(t.Status?.State ?? ''))
    .sort((a, b) => (b.Status?.Timestamp ?? '').localeCompare(a.Status?.Timestamp ?? ''))
    .map((t) =>
      [
        t.Status?.Timestamp ?? '',
        `task ${t.ID ?? '?'}`,
        `service ${t.ServiceID ?? '?'}${t.Slot === undefined ? '' : `.${t.Slot}`}`,
        `node ${t.NodeID ?? '-'}`,
        `${t.Status?.State ?? '?'} (desired ${t.DesiredState ?? '?'})`,
        t.Status?.Err ?? t.Status?.Message ?? '',
      ].join('  '),
    );
  return lines.length === 0 ? '(no task has failed or carries an error)\n' : `${lines.join('\n')}\n`;
}

interface RawTask {
  ID?: string;
  ServiceID?: string;
  NodeID?: string;
  Slot?: number;
  DesiredState?: string;
  Status?: { Timestamp?: string; State?: string; Message?: string; Err?: string };
}
