/**
 * A metav1.MicroTime field (Event.eventTime, Lease renewTime): RFC 3339 with exactly six
 * fractional digits, which the API server requires. A Date, so typed models accept it.
 */
export class MicroTime extends Date {
  override toISOString(): string {
    return super.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
  }

  override toJSON(): string {
    return this.toISOString();
  }
}
