/// Linear warm-up then linear decay to 0 (HF `get_linear_schedule_with_warmup`).
///
///     lr(step) = base · step / warmup                                for step < warmup
///              = base · max(0, (total − step) / (total − warmup))    otherwise
///
/// `step` counts optimizer steps already taken (0 for the first update, as HF's scheduler), so with warm-up the
/// first update uses lr 0.
public struct LearningRateSchedule: Sendable, Equatable {
    /// Peak learning rate.
    public var baseLR: Double
    /// Steps of linear warm-up from 0.
    public var warmupSteps: Int
    /// All optimizer steps of the run.
    public var totalSteps: Int

    /// A schedule with an explicit warm-up length.
    public init(baseLR: Double, warmupSteps: Int, totalSteps: Int) {
        self.baseLR = baseLR
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
    }

    /// Warm-up over `ceil(ratio · total)` steps (HF `TrainingArguments.get_warmup_steps`).
    public init(baseLR: Double, warmupRatio: Double, totalSteps: Int) {
        self.init(baseLR: baseLR, warmupSteps: Int((warmupRatio * Double(totalSteps)).rounded(.up)), totalSteps: totalSteps)
    }

    /// The learning rate of the update after `step` updates.
    public func lr(atStep step: Int) -> Double {
        if step < warmupSteps { return baseLR * Double(step) / Double(max(1, warmupSteps)) }
        return baseLR * max(0, Double(totalSteps - step) / Double(max(1, totalSteps - warmupSteps)))
    }
}
