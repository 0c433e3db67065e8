/** Settings of the Java analyser that a profile (or --set java.KEY=VALUE) can change. */
export interface JavaSettings {
  /** Programs of the JDK's bin/ kept besides java (e.g. keytool); javac and the rest never run. */
  tools: string[];
}

export const DEFAULT_JAVA_SETTINGS: JavaSettings = { tools: [] };
