export declare const DIST_DIR: string;
export declare const CLI_ENTRY: string;
export declare const BUILD_INFO: string;

/** What scripts/build-cli.ts writes to DIST_DIR/BUILD_INFO. */
export interface CliBuildInfo {
  /** Repository files bundled, relative to the package root. */
  sources: string[];
}

export type ChosenCli =
  | { kind: 'bundle'; /** file: URL of the bundle's entry */ entry: string }
  | { kind: 'tsx'; /** why the bundle is not used */ reason: string };

export declare function chooseCli(root?: string): ChosenCli;
