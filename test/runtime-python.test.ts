/**
 * The Python analyser on synthetic images laid out as Debian and the official python image lay
 * Python out: what it keeps of the standard library, the site folders and the app, and what it
 * leaves out with the reason the audit shows.
 */
import { describe, expect, it } from 'vitest';
import { runPythonAnalyser } from '../src/analysers/python/python-analyser.js';
import { parsePythonArgs } from '../src/analysers/python/python-entry.js';
import { DEFAULT_PYTHON_SETTINGS, type PythonSettings } from '../src/analysers/python/python-settings.js';
import type { ContainerConfig } from '../src/image/model.js';
import { analyseRuntime, executable, file, symlink, type AnalysedImage } from './helpers/runtime-image.js';
import type { MemberSpec } from './helpers/synthetic.js';

const LIB = 'usr/lib/python3.11';
const DEBIAN_PYTHON: MemberSpec[] = [
  file('usr/bin/python3.11', executable(), 0o755),
  symlink('usr/bin/python3', 'python3.11'),
  file(`${LIB}/os.py`, ''),
  file(`${LIB}/__pycache__/os.cpython-311.pyc`, ''),
  file(`${LIB}/json/__init__.py`, ''),
  file(`${LIB}/lib-dynload/_ssl.cpython-311-x86_64-linux-gnu.so`, ''),
  file(`${LIB}/test/test_os.py`, ''),
  file(`${LIB}/idlelib/idle.py`, ''),
  file(`${LIB}/tkinter/__init__.py`, ''),
  file(`${LIB}/ensurepip/__init__.py`, ''),
  file(`${LIB}/lib2to3/main.py`, ''),
  file(`${LIB}/unittest/test/test_case.py`, ''),
  file(`${LIB}/unittest/case.py`, ''),
  file('etc/python3.11/sitecustomize.py', ''),
  symlink(`${LIB}/sitecustomize.py`, '/etc/python3.11/sitecustomize.py'),
  file('usr/lib/python3/dist-packages/flask/__init__.py', 'import werkzeug'),
  file('usr/lib/python3/dist-packages/numpy/core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so', ''),
  file('usr/lib/python3/dist-packages/pip/__init__.py', ''),
  file('usr/lib/python3/dist-packages/pip-23.0.1.egg-info/PKG-INFO', ''),
  file('usr/lib/python3/dist-packages/setuptools/__init__.py', ''),
  file('usr/lib/python3/dist-packages/pkg_resources/__init__.py', ''),
  file('usr/lib/python3/dist-packages/_distutils_hack/__init__.py', ''),
  file('usr/lib/python3/dist-packages/distutils-precedence.pth', ''),
  file('usr/lib/python3/dist-packages/wheel/__init__.py', ''),
  file('app/app.py', 'import flask'),
  file('app/templates/index.html', ''),
];

function pythonImage(members: MemberSpec[], config: ContainerConfig = { Cmd: ['python3', 'app.py'], WorkingDir: '/app' }, settings: Partial<PythonSettings> = {}): Promise<AnalysedImage> {
  return analyseRuntime(members, config, (ctx, entry, cwd) => runPythonAnalyser(ctx, { entry, cwd, settings: { ...DEFAULT_PYTHON_SETTINGS, ...settings } }));
}

describe('python command line', () => {
  it('finds the script, -m module or -c', () => {
    expect(parsePythonArgs(['-u', '-W', 'ignore', 'app.py', '--debug'])).toEqual({ script: 'app.py', command: false });
    expect(parsePythonArgs(['-m', 'flask', 'run'])).toEqual({ module: 'flask', command: false });
    expect(parsePythonArgs(['-c', 'print(1)'])).toEqual({ command: true });
  });
});

describe('python analyser', () => {
  it('keeps the standard library without tests, IDLE, Tk, ensurepip and lib2to3, with reasons', async () => {
    const r = await pythonImage(DEBIAN_PYTHON);
    for (const p of ['os.py', '__pycache__/os.cpython-311.pyc', 'json/__init__.py', 'lib-dynload/_ssl.cpython-311-x86_64-linux-gnu.so', 'unittest/case.py', 'sitecustomize.py']) expect(r.kept).toContain(`/${LIB}/${p}`);
    expect(r.kept).toContain('/etc/python3.11/sitecustomize.py');
    for (const p of ['test/test_os.py', 'idlelib/idle.py', 'tkinter/__init__.py', 'ensurepip/__init__.py', 'lib2to3/main.py', 'unittest/test/test_case.py']) {
      expect(r.kept).not.toContain(`/${LIB}/${p}`);
      expect(r.declined(`/${LIB}/${p}`)).toMatch(/python\.stdlibExclude/);
    }
  });

  it('keeps installed packages and C extensions, but not pip, setuptools or wheel', async () => {
    const r = await pythonImage(DEBIAN_PYTHON);
    expect(r.kept).toEqual(expect.arrayContaining(['/usr/lib/python3/dist-packages/flask/__init__.py', '/usr/lib/python3/dist-packages/numpy/core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so', '/app/app.py', '/app/templates/index.html']));
    for (const p of ['pip/__init__.py', 'pip-23.0.1.egg-info/PKG-INFO', 'setuptools/__init__.py', 'pkg_resources/__init__.py', '_distutils_hack/__init__.py', 'distutils-precedence.pth', 'wheel/__init__.py']) {
      expect(r.kept).not.toContain(`/usr/lib/python3/dist-packages/${p}`);
      expect(r.declined(`/usr/lib/python3/dist-packages/${p}`)).toMatch(/nothing imports it/);
    }
  });

  it('keeps setuptools when an installed package imports pkg_resources', async () => {
    const r = await pythonImage([...DEBIAN_PYTHON, file('usr/lib/python3/dist-packages/gunicorn/util.py', 'import os\nimport pkg_resources\n')]);
    expect(r.kept).toContain('/usr/lib/python3/dist-packages/pkg_resources/__init__.py');
    expect(r.kept).toContain('/usr/lib/python3/dist-packages/setuptools/__init__.py');
    expect(r.kept).not.toContain('/usr/lib/python3/dist-packages/pip/__init__.py');
  });

  it('drops bytecode only when asked', async () => {
    const r = await pythonImage(DEBIAN_PYTHON, undefined, { dropBytecode: true });
    expect(r.kept).not.toContain(`/${LIB}/__pycache__/os.cpython-311.pyc`);
    expect(r.declined(`/${LIB}/__pycache__`)).toMatch(/bytecode/);
  });

  it('a console script in a venv: the venv, its site-packages and the interpreter it links to', async () => {
    const r = await pythonImage(
      [
        ...DEBIAN_PYTHON,
        file('opt/venv/pyvenv.cfg', 'home = /usr/bin\n'),
        symlink('opt/venv/bin/python', '/usr/bin/python3.11'),
        file('opt/venv/bin/gunicorn', '#!/opt/venv/bin/python\nimport gunicorn\n', 0o755),
        file('opt/venv/lib/python3.11/site-packages/gunicorn/__init__.py', ''),
        file('opt/venv/lib/python3.11/site-packages/pip/__init__.py', ''),
        file('srv/wsgi.py', ''),
      ],
      { Entrypoint: ['/opt/venv/bin/gunicorn'], Cmd: ['wsgi:app'], WorkingDir: '/srv' },
    );
    expect(r.kept).toEqual(expect.arrayContaining(['/opt/venv/pyvenv.cfg', '/opt/venv/bin/python', '/opt/venv/lib/python3.11/site-packages/gunicorn/__init__.py', '/srv/wsgi.py', `/${LIB}/os.py`]));
    expect(r.kept).not.toContain('/opt/venv/lib/python3.11/site-packages/pip/__init__.py');
    // The bin folder is not the app; the venv does not see Debian's dist-packages.
    expect(r.kept.filter((p) => p.startsWith('/usr/bin/'))).toEqual(['/usr/bin/python3.11']);
    expect(r.kept.filter((p) => p.includes('dist-packages'))).toEqual([]);
  });

  it('the official image layout: /usr/local prefix and site-packages', async () => {
    const r = await pythonImage(
      [
        file('usr/local/bin/python3.12', executable(), 0o755),
        symlink('usr/local/bin/python', 'python3.12'),
        file('usr/local/lib/python3.12/os.py', ''),
        file('usr/local/lib/python3.12/site-packages/requests/__init__.py', ''),
        file('usr/local/lib/python3.12/site-packages/wheel/__init__.py', ''),
        file('code/main.py', ''),
      ],
      { Cmd: ['python', '/code/main.py'] },
    );
    expect(r.kept).toEqual(expect.arrayContaining(['/usr/local/lib/python3.12/os.py', '/usr/local/lib/python3.12/site-packages/requests/__init__.py', '/code/main.py']));
    expect(r.kept).not.toContain('/usr/local/lib/python3.12/site-packages/wheel/__init__.py');
  });
});
