import { WriteFence, WriteFencedError } from '../../../src/kube/write-fence.js';

describe('WriteFence', () => {
  it('admits writes only while open, and aborts the admitted ones when it closes', () => {
    const fence = new WriteFence();
    expect(() => fence.admit()).toThrow(WriteFencedError);

    fence.open();
    const signal = fence.admit();
    expect(signal.aborted).toBe(false);
    fence.close();
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBeInstanceOf(WriteFencedError);
    expect(() => fence.admit()).toThrow('not leading: write dropped');

    fence.open();
    expect(fence.admit().aborted).toBe(false);
  });
});
