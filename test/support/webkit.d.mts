export declare const WEBKIT_DRIVER_PATH: string;
export declare const WEBKIT_BROWSER_PATH: string;
export declare const WEBKIT_CAPABILITIES: Record<string, unknown>;
export declare function startWebKitDriver(): Promise<{ hostname: string; port: number; stop: () => Promise<void> }>;
