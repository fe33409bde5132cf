export declare const TYPES_DIR: string;
export declare function generateContractTypes(openapiDir?: string): Promise<Map<string, string>>;
