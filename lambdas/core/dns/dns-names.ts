/** Route 53 answers names fully qualified and lower-case ("main.example.com."); config has no dot. */
export function sameDnsName(a: string, b: string): boolean {
  return normalizeDnsName(a) === normalizeDnsName(b);
}

export function normalizeDnsName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}
