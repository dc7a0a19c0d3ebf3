/**
 * The pose settings panel: filled from the URL config, read and checked into the pipeline's
 * `PoseOptions`, and adapted to each loaded model (its skeletons).
 */
import {
  type CameraSetting,
  inRange,
  POSE_DEFAULTS,
  POSE_OPTION_RANGES,
  type PoseOptions,
  type RangedOption,
  resolvePoseOptions,
  settingsRecord as runtimeSettingsRecord,
} from '@metrabs/runtime';
import { type AppConfig, intrinsicMatrix } from './config.js';
import type { PageElements } from './elements.js';
import type { MessageBoard } from './messages.js';
import type { ModelInfo, ReadyMessage } from './protocol.js';

type SettingsElements = Pick<
  PageElements,
  'skeleton' | 'numAug' | 'fov' | 'fx' | 'fy' | 'cx' | 'cy' | 'threshold' | 'suppress'
>;

/** A number field: undefined when empty; throws when not a number or out of range. */
function numberInput(input: HTMLInputElement, name: string, check: (v: number) => boolean) {
  const raw = input.value.trim();
  if (raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || !check(value)) {
    throw new Error(`${name}: "${raw}" is not valid`);
  }
  return value;
}

/** The settings as written into the JSON document of a result: the runtime's, plus the backend. */
export function settingsRecord(
  o: PoseOptions,
  backend: ReadyMessage['backend'] | undefined,
): Record<string, unknown> {
  const camera: CameraSetting | undefined = o.intrinsicMatrix
    ? { intrinsicMatrix: o.intrinsicMatrix as number[][] }
    : undefined;
  return { ...runtimeSettingsRecord(resolvePoseOptions(o), camera), backend };
}

/** A check for a pose option's control: the runtime's range for it. */
function inRangeOf(option: RangedOption) {
  return (v: number) => inRange(v, POSE_OPTION_RANGES[option]);
}

export class Settings {
  private readonly ui: SettingsElements;
  private readonly config: AppConfig;
  private readonly messages: MessageBoard;

  constructor(ui: SettingsElements, config: AppConfig, messages: MessageBoard) {
    this.ui = ui;
    this.config = config;
    this.messages = messages;
  }

  /** Puts the URL's values into the controls; `changed` runs on every later edit. */
  init(changed: () => void): void {
    const { ui, config } = this;
    ui.numAug.value = String(config.numAug);
    ui.fov.value = String(config.fovDegrees);
    ui.threshold.value = String(config.detectorThreshold);
    if (config.intrinsics) {
      [ui.fx, ui.fy, ui.cx, ui.cy].forEach((input, i) => {
        input.value = String(config.intrinsics![i]);
      });
    }
    ui.suppress.checked = config.suppressImplausible ?? true;
    for (const input of [
      ui.skeleton,
      ui.numAug,
      ui.fov,
      ui.fx,
      ui.fy,
      ui.cx,
      ui.cy,
      ui.threshold,
      ui.suppress,
    ]) {
      input.addEventListener('change', changed);
    }
  }

  /** The pose options from the controls; throws with a readable message on bad values. */
  read(): PoseOptions {
    const { ui } = this;
    const o: PoseOptions = {
      skeleton: ui.skeleton.value,
      numAug: numberInput(ui.numAug, 'numAug', inRangeOf('numAug')) ?? POSE_DEFAULTS.numAug,
      detectorThreshold:
        numberInput(ui.threshold, 'detector threshold', inRangeOf('detectorThreshold')) ??
        POSE_DEFAULTS.detectorThreshold,
      suppressImplausiblePoses: ui.suppress.checked,
      defaultFovDegrees:
        numberInput(ui.fov, 'field of view', inRangeOf('defaultFovDegrees')) ??
        POSE_DEFAULTS.defaultFovDegrees,
    };
    const k = [ui.fx, ui.fy, ui.cx, ui.cy].map((input, i) =>
      numberInput(input, ['fx', 'fy', 'cx', 'cy'][i]!, (v) => (i < 2 ? v > 0 : true)),
    );
    const given = k.filter((v) => v !== undefined).length;
    if (given === 4) {
      o.intrinsicMatrix = intrinsicMatrix(k as [number, number, number, number]);
    } else if (given > 0) {
      throw new Error('intrinsics: give all four of fx, fy, cx, cy (or none)');
    }
    return o;
  }

  /** Like `read`, but a bad value becomes a message (until fixed) and undefined. */
  readOrReport(): PoseOptions | undefined {
    try {
      const o = this.read();
      this.messages.clear('settings');
      return o;
    } catch (error) {
      this.messages.show('error', 'Invalid setting', [(error as Error).message], 'settings');
      return undefined;
    }
  }

  /** Offers the model's skeletons, and its default for suppressing implausible poses. */
  adoptModel(model: ModelInfo): void {
    this.fillSkeletons(model);
    // Off for the toy model: its poses are not meaningful, so judging them would only hide them.
    if (this.config.suppressImplausible === undefined) this.ui.suppress.checked = !model.toy;
  }

  /** Keeps the chosen (or URL's) skeleton when the new model has it. */
  private fillSkeletons(model: ModelInfo): void {
    const select = this.ui.skeleton;
    const wanted = select.value || this.config.skeleton;
    select.replaceChildren();
    const own = document.createElement('option');
    own.value = '';
    own.textContent = `model's own (${model.skeleton})`;
    select.appendChild(own);
    for (const name of model.skeletons) {
      if (name === model.skeleton) continue;
      const option = document.createElement('option');
      option.value = name;
      option.textContent = name;
      select.appendChild(option);
    }
    if (wanted && model.skeletons.includes(wanted)) select.value = wanted;
    else if (wanted && wanted !== model.skeleton) {
      this.messages.show('warn', 'Unknown skeleton', [
        `"${wanted}" is not available for this model; using the model's own.`,
      ]);
    }
  }
}
