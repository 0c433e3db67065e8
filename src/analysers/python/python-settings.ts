/** Settings of the Python analyser that a profile (or --set python.KEY=VALUE) can change. */
export interface PythonSettings {
  /** Leave out compiled bytecode (__pycache__, *.pyc): smaller, slower first start. */
  dropBytecode: boolean;
  /** Standard-library packages never needed by a server (tests, IDLE, Tk, ...). */
  stdlibExclude: string[];
  /** Leave out pip, setuptools and wheel unless the app imports them. */
  dropPackagingTools: boolean;
  /** Leave out the tests/ folders inside installed packages (numpy's alone are megabytes). */
  dropPackageTests: boolean;
}

export const DEFAULT_PYTHON_SETTINGS: PythonSettings = {
  dropBytecode: false,
  stdlibExclude: ['test', 'idlelib', 'tkinter', 'turtledemo', 'turtle.py', 'ensurepip', 'lib2to3', 'pydoc_data', 'unittest/test', 'distutils/tests', 'ctypes/test', 'sqlite3/test', 'config-*'],
  dropPackagingTools: true,
  dropPackageTests: true,
};
