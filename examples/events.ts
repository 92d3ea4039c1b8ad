// Follow a job as it runs: every event, in the order the pipeline emits it.
// Run: `npx tsx examples/events.ts`. Real shell hooks; nothing is written outside memory.
import { commandTask, JobPipeline, type Notifier } from 'jobhooks';

const titles: string[] = [];
const notifier: Notifier = {
  name: 'log',
  async notify(message) {
    titles.push(message.title);
  },
};

const pipeline = new JobPipeline({
  jobId: 'events-demo',
  preHooks: [
    { name: 'Prepare', command: 'echo preparing; echo "a warning on stderr" >&2' },
    { name: 'Optional Step', command: 'exit 3', continueOnFailure: false },
    { name: 'Skipped Step', command: 'echo never printed' },
  ],
  tasks: [commandTask({ type: 'backup', name: 'Archive', command: 'echo archiving' })],
  postHooks: [{ name: 'Cleanup', command: 'echo cleaning up' }],
  notifiers: [notifier],
});

pipeline.on('jobStart', ({ jobId, tasks }) => console.log(`jobStart ${jobId}: ${tasks.map((t) => `${t.index}:${t.name}`).join(', ')}`));
pipeline.on('taskStart', ({ task }) => console.log(`taskStart ${task.index} ${task.name}`));
pipeline.on('taskOutput', ({ taskIndex, stream, line }) => console.log(`taskOutput ${taskIndex} ${stream}: ${line}`));
pipeline.on('taskProgress', ({ taskIndex, percent }) => console.log(`taskProgress ${taskIndex} ${percent ?? ''}`));
pipeline.on('taskEnd', ({ task }) =>
  console.log(`taskEnd ${task.index} ${task.name}: ${task.status}${task.skipReason ? ` (${task.skipReason})` : ''}${task.error ? ` (${task.error})` : ''}`),
);
pipeline.on('notificationSent', ({ notifier: name }) => console.log(`notificationSent ${name}`));
pipeline.on('notificationFailed', ({ notifier: name, error }) => console.log(`notificationFailed ${name}: ${error}`));
pipeline.on('jobEnd', ({ result }) => console.log(`jobEnd ${result.status}`));

// A listener that throws never changes the job: the error arrives as a listenerError event.
const faulty = (): void => {
  throw new Error('bug in a listener');
};
pipeline.once('jobStart', faulty);
pipeline.on('listenerError', ({ event, error }) => console.log(`listenerError in ${event}: ${(error as Error).message}`));

const result = await pipeline.run();
console.log(`result: ${result.status}, ${result.tasks.length} tasks; notified: ${titles.join(' | ')}`);
