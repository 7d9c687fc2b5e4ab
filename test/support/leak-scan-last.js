// Jest test sequencer: the default order, with the leak scan (test/integration/leak-scan.test.ts)
// moved to the end, since it scans what every other integration test produced.
import Sequencer from '@jest/test-sequencer';

const LEAK_SCAN = /[/\\]leak-scan\.test\.ts$/;

export default class LeakScanLastSequencer extends Sequencer {
  async sort(tests) {
    const sorted = [...(await super.sort(tests))];
    return [
      ...sorted.filter((test) => !LEAK_SCAN.test(test.path)),
      ...sorted.filter((test) => LEAK_SCAN.test(test.path)),
    ];
  }
}
