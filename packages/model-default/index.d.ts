/** The model package directory (metrabs.json, model.onnx). */
export declare const MODEL_DIR: string;
/** File name → sha256 (hex) recorded when the package was packed; `{}` in a checkout. */
export declare const MODEL_SHA256: Readonly<Record<string, string>>;
